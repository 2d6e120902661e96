"""The model card beside the weights: data, licences, command, seed, metrics.

``builtin.pt`` gets ``MODEL_CARD.md``; any other weights file ``X.pt`` gets
``MODEL_CARD_X.md``, so the cards of the shipped weights sit side by side."""

from __future__ import annotations

from pathlib import Path


def _metrics_table(test: dict) -> str:
    rows = ["| set | texts | motions | t2m R@1 | t2m R@5 | t2m R@10 | t2m MedR | m2t R@1 | m2t R@5 | m2t R@10 | m2t MedR |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, m in test.items():
        rows.append(f"| {name} | {int(m['texts'])} | {int(m['motions'])} | " + " | ".join(
            f"{m[f'{d}_{k}']:.3f}" if k != "medr" else f"{m[f'{d}_{k}']:.0f}"
            for d in ("t2m", "m2t") for k in ("r1", "r5", "r10", "medr")) + " |")
    return "\n".join(rows)


CAPTION_TERMS = (
    "Caption sources and their terms (text only; no motion of theirs is used):\n"
    "- **HumanML3D** captions (Guo et al., CVPR 2022) come from the HumanML3D repository, which is MIT "
    "licensed. HumanML3D's own motions are AMASS data (non-commercial); none is used: only the clip timings "
    "place each caption on the CMU trial it describes.\n"
    "- **KIT-ML** captions (Plappert, Mandery, Asfour, Big Data 2016) are published as an open data set with a "
    "request to cite that paper; its download page states no licence. They are kept, cited here; a studio "
    "whose counsel requires written terms should retrain without them.\n"
    "- **Lexicon and describer** (moground/text/actions.py, training/describer.py): written by the project "
    "(MIT). The lexicon's names are common action words, many of which also occur as BABEL labels (BABEL's "
    "licence is non-commercial research); none of its descriptions is a BABEL label. The BABEL label list is "
    "read only by `moground vocab-coverage` to measure coverage; it is neither training text nor shipped."
)


def licence_section(cmu_only: bool) -> str:
    """The card's licence section: the file's licence (weights/LICENSES.json), the terms of
    each caption source and of the lexicon's vocabulary."""
    from ..licences import weights_licences

    entry = weights_licences()["builtin.pt" if cmu_only else "builtin_nc.pt"]
    lines = [f"**{entry['licence']}** — {entry['summary']}.", "", "Trained on:"]
    lines += [f"- {d}" for d in entry["training_data"]]
    if not cmu_only:
        lines += ["", "Because it learned from CC BY-NC 4.0 and research-only data, this file is for non-commercial "
                  "research use only (and HDM05's ShareAlike terms would require CC BY-SA for an adaptation, which "
                  "cannot be combined with NC data: one more reason it is not for studio use). For commercial "
                  "work use `builtin` (CMU only) or retrain with `moground train --cmu-only`."]
    return "\n".join([*lines, "", CAPTION_TERMS])


def model_card_text(meta: dict) -> str:
    res = meta.get("metrics", {})
    cmu_only = meta.get("cmu_only", False)
    items = meta.get("train_items", {})
    train_cfg = meta.get("train_config", {})
    mixed = train_cfg.get("config", {}).get("pool_mean_mix", False)
    extent = float(train_cfg.get("extent_weight", 0.0) or 0.0)
    lines = [
        "# MoGround built-in encoder — model card",
        "",
        "Compact motion-text encoder (local-attention motion tower over heading-frame kinematic features, "
        + ("masked attention pooling blended with the masked mean (learned share), " if mixed else "masked attention pooling, ")
        + "frozen all-MiniLM-L6-v2 text tower with a trained MLP head).",
        "",
        "Objective: clip-level and segment-level contrastive terms over spliced sequences"
        + (f", plus the extent term (weight {extent:g}): each true span must score above its copies shifted, "
           "extended into its neighbours or truncated by 20–50 %." if extent > 0 else "."),
        "",
        "## Licence",
        licence_section(cmu_only),
        "",
        "## Training data",
        "- CMU Graphics Lab mocap (mocap.cs.cmu.edu; NSF EIA-0196217): trials of the train split, with CMU "
        "descriptions, KIT-ML captions (Plappert et al. 2016) and timed HumanML3D captions (Guo et al. 2022).",
    ]
    if not cmu_only:
        lines += [
            "- Bandai Namco Research Motiondataset 1+2 (© 2022 Bandai Namco Research Inc., CC BY-NC 4.0; "
            "Kobayashi et al. 2023), captions from content/style templates.",
            "- Action sets: HDM05 subset (CC BY-SA 3.0), MSR Action3D, UTKinect-Action3D, MSRC-12 (research "
            "data; cite their papers), split by subject.",
        ]
    lines += [
        "- Kinematic describer captions for windows of every training clip (written by MoGround).",
        f"- Training items per source: {items}; unique captions: {meta.get('captions', '?')}.",
        "",
        "## Reproduce",
        f"```\n{meta.get('command') or 'moground train'}\n```",
        f"Seed {meta.get('seed', 0)}; {res.get('steps', '?')} steps (best at {res.get('best_step', '?')}), "
        f"{res.get('train_seconds', '?')} s of training on {res.get('device', '?')}, "
        f"{res.get('prep_seconds', '?')} s to build caches. Created {meta.get('created', '?')}.",
        "",
        "## Retrieval on the TEST split",
        _metrics_table(res.get("test", {})) if res.get("test") else "(not measured)",
        "",
        "Validation (CMU HumanML3D segments of val trials, used for early stopping): "
        + ", ".join(f"{k} {v:.3f}" for k, v in res.get("val", {}).items() if k not in ("texts", "motions")),
        "",
    ]
    return "\n".join(lines)


def model_card_path(weights: str | Path) -> Path:
    w = Path(weights)
    return w.parent / ("MODEL_CARD.md" if w.stem == "builtin" else f"MODEL_CARD_{w.stem}.md")


def write_model_card(path: str | Path, meta: dict) -> Path:
    p = Path(path)
    p.write_text(model_card_text(meta))
    return p
