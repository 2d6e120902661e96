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


def model_card_text(meta: dict) -> str:
    res = meta.get("metrics", {})
    cmu_only = meta.get("cmu_only", False)
    licence = ("**Commercial use**: trained on CMU motion (free for all uses) with CMU descriptions, KIT-ML and "
               "HumanML3D captions and the project's own describer captions only; check the caption data sets' "
               "terms for your use.") if cmu_only else (
        "**Non-commercial use only.** Trained with Bandai Namco Research Motiondataset clips (CC BY-NC 4.0) and "
        "Kinect/mocap action sets released for research; the action vocabulary used to design captions and the "
        "lexicon draws on BABEL labels (non-commercial research licence). For weights without non-commercial data, "
        "retrain on CMU only: `moground train --cmu-only`.")
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
        licence,
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
