"""Timeline pictures: a real take drawn end to end, the figure's artists, --truth errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from moground.cli import main
from moground.wire.errors import BadRequest, UnreadableFile
from moground.plots.timeline import OKABE_ITO, plot_timeline
from moground.grounding.trace import GroundingTrace
from moground.plots.truth import load_truth, parse_truth
from moground.samples.real_take import load_demo_take

matplotlib = pytest.importorskip("matplotlib")


def _read_png(path):
    import matplotlib.image as mpimg

    return mpimg.imread(str(path))


def _artists(fig, gid):
    return [a for ax in fig.axes for a in ax.patches if a.get_gid() == gid]


def _labels(fig, gid):
    return [t for ax in fig.axes for t in ax.texts if t.get_gid() == gid]


def _no_overlap(fig, texts):
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_x <= 0.5 or overlap_y <= 0.5, (texts[i].get_text(), texts[j].get_text())


@pytest.fixture(scope="module")
def real_run(engine):
    take = load_demo_take()
    result = engine.ground(take.clip, actions=take.actions, trace=True)
    return take, result


def test_trace_only_when_asked(engine, real_run):
    take, traced = real_run
    plain = engine.ground(take.clip, actions=take.actions)
    assert plain.trace is None and "trace" not in plain.to_dict()
    assert [s.start_frame for s in plain.segments] == [s.start_frame for s in traced.segments]
    tr = traced.trace
    k, t = len(take.actions), tr.times_s.shape[0]
    assert tr.similarity.shape == (k, t) and tr.masks.shape == (k + 1, t)
    assert tr.energy.shape == (t,) and tr.novelty.shape == (t,)
    assert np.isfinite(tr.similarity).all() and 0.0 <= tr.novelty.min() and tr.novelty.max() <= 1.0


def test_timeline_of_a_real_take(real_run, tmp_path):
    take, result = real_run
    path = tmp_path / "timeline.png"
    fig = plot_timeline(result, path, truth=take.truth, title="86_05")
    img = _read_png(path)
    assert img.shape[1] == 1600 and 700 <= img.shape[0] <= 2000
    gray = img[..., :3].mean(axis=-1)
    assert (gray < 0.9).mean() > 0.1 and gray.std() > 0.1  # not blank
    assert len(_artists(fig, "segment")) == len(result.segments) == 10
    assert len(_artists(fig, "truth")) == len(take.truth)
    seg_labels = _labels(fig, "segment-label")
    assert len(seg_labels) == 10 and all(t.get_text() for t in seg_labels)
    _no_overlap(fig, seg_labels)
    _no_overlap(fig, _labels(fig, "truth-label"))


def _fake_result(segments, k=3, t=200, masks=True):
    trace = GroundingTrace(
        phrases=[s["label"] for s in segments], fps=20.0, times_s=np.arange(t) / 20.0, source_fps=30.0,
        frame_start=100.0, duration_s=t / 20.0, energy=np.abs(np.sin(np.arange(t) / 7.0)),
        novelty=np.linspace(0, 1, t), similarity=np.random.default_rng(0).normal(size=(k, t)) * 0.1,
        masks=np.full((k + 1, t), 1.0 / (k + 1)) if masks else None, method="zomg",
    )
    return {"segments": segments, "trace": trace}


def test_low_confidence_is_marked_and_crowded_labels_do_not_overlap():
    # many short segments with long names force several label lanes
    segs = [{"label": f"a rather long sub-action name number {i}", "index": i, "start_s": i * 0.5,
             "end_s": (i + 1) * 0.5, "score": 0.5, "low_confidence": i == 2, "reason": "weak text"} for i in range(20)]
    fig = plot_timeline(_fake_result(segs, k=20, t=200), None)
    bars = _artists(fig, "segment")
    assert len(bars) == 20
    assert bars[2].get_hatch() and not bars[1].get_hatch()
    labels = _labels(fig, "segment-label")
    assert labels[2].get_text().startswith("!") and not labels[1].get_text().startswith("!")
    _no_overlap(fig, labels)
    assert bars[0].get_facecolor()[:3] == pytest.approx(matplotlib.colors.to_rgb(OKABE_ITO[0]))


def test_segments_without_new_fields_and_without_masks():
    segs = [{"label": "walk", "start_s": 0.0, "end_s": 4.0, "score": 0.9},
            {"label": "jump", "start_s": 4.0, "end_s": 10.0, "score": 0.8}]
    fig = plot_timeline(_fake_result(segs, k=2, masks=False), None, truth=[
        {"label": "walk", "start_s": 0.0, "end_s": 5.0}, {"label": "jump", "start_s": 5.0, "end_s": 10.0}])
    assert len(_artists(fig, "segment")) == 2 and len(_artists(fig, "truth")) == 2
    assert any("IoU 0.80" in t.get_text() for t in _labels(fig, "truth-label"))


@pytest.mark.parametrize("bad", [
    {"label": "walk"}, [], [{"label": "walk", "start_s": 2.0, "end_s": 1.0}],
    [{"label": "", "start_s": 0, "end_s": 1}], [{"label": "walk", "start_s": "0", "end_s": 1}],
    [{"label": "walk", "start_s": 0, "end_s": float("nan")}], ["walk 0-1"],
    [{"label": "walk", "start_s": 500.0, "end_s": 501.0}],
])
def test_malformed_truth_is_a_bad_request(bad):
    with pytest.raises(BadRequest):
        parse_truth(bad, "t.json", duration_s=60.0)


def test_truth_file_errors_are_coded_on_the_command_line(tmp_path, capsys):
    take = load_demo_take()
    motion = tmp_path / "take.npz"
    from moground.io import save_npz

    save_npz(motion, take.clip)
    broken = tmp_path / "broken.json"
    broken.write_text("[{label: walk")
    assert main(["ground", "--motion", str(motion), "--actions", "walk", "--truth", str(broken)]) == 2
    assert "[unreadable_file]" in capsys.readouterr().err
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps([{"label": "walk", "start_s": 3, "end_s": 1}]))
    assert main(["ground", "--motion", str(motion), "--actions", "walk", "--truth", str(wrong), "--plot",
                 str(tmp_path / "t.png")]) == 2
    err = capsys.readouterr().err
    assert "[bad_request]" in err and "entry 0" in err
    with pytest.raises(UnreadableFile):
        load_truth(tmp_path / "missing.json")


@pytest.mark.slow
def test_ground_command_plots_with_truth(tmp_path, capsys):
    take = load_demo_take()
    from moground.io import save_npz

    motion = tmp_path / "take.npz"
    save_npz(motion, take.clip)
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps([{k: s[k] for k in ("label", "start_s", "end_s")} for s in take.truth]))
    png = tmp_path / "timeline.png"
    assert main(["ground", "--motion", str(motion), "--actions", *take.actions, "--method", "changepoint",
                 "--truth", str(truth), "--plot", str(png), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["truth_iou"]) == 10 and png.stat().st_size > 50_000


@pytest.mark.slow
def test_demo_grounds_the_real_take(tmp_path, capsys):
    png = tmp_path / "demo_timeline.png"
    assert main(["demo", "--json", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["take"] == "86_05" and len(out["iou"]) == len(out["truth"]) == 10
    assert all(0.0 <= v <= 1.0 for v in out["iou"]) and png.exists()


def test_packaged_take_is_small_and_attributed():
    from moground.samples.real_take import SAMPLES_DIR

    take = load_demo_take()
    files = [SAMPLES_DIR / f"cmu_{take.take}.npz", SAMPLES_DIR / f"cmu_{take.take}.json"]
    assert sum(f.stat().st_size for f in files) < 400_000
    with np.load(files[0]) as z:
        assert z["positions"].dtype == np.float16
    assert "CMU" in take.attribution and "mocap.cs.cmu.edu" in take.attribution
    assert take.truth[0]["start_s"] == 0.0 and take.truth[-1]["end_s"] == pytest.approx(take.clip.duration_s, abs=0.05)


def _bench_payload():
    rng = np.random.default_rng(0)
    methods = ["zomg", "changepoint", "window", "uniform"]
    sets = {}
    for name in ["realchains/take/verbatim", "realchains/take/open", "spliced/spliced/caption"]:
        rows = {}
        for m in methods:
            e = float(rng.uniform(0.3, 0.8))
            rows[m] = {"miou": [e, e - 0.1, e + 0.08], "control_miou": [e - 0.1, e - 0.2, e],
                       "gap": [0.1, -0.02, 0.2] if m != "uniform" else [0.0, 0.0, 0.0], "auroc": 0.6}
        sets[name] = {"cases": 5, "clips": 5, "segments": 40, "methods": rows}
    cases = []
    for m in methods:
        for _ in range(20):
            sc = list(rng.uniform(0, 1, 4)) if m != "uniform" else [0.25] * 4
            cases.append({"method": m, "control": False, "scores": sc, "ious": list(rng.uniform(0, 1, 4))})
    return {"sets": sets, "cases": cases, "split": "test", "seed": 0}


def test_bench_summary_figure(tmp_path):
    from moground.plots.bench_figures import plot_bench_summary, reliability, write_bench_plots

    fig = plot_bench_summary(_bench_payload(), tmp_path / "s.png")
    assert len(_artists(fig, "miou-bar")) == 3 * 4 and len(_artists(fig, "gap-bar")) == 3 * 4
    img = _read_png(tmp_path / "s.png")
    assert img.shape[1] == 1600 and img[..., :3].std() > 0.1
    # an older payload (plain mIoU floats, no controls, no cases) still draws
    old = {"sets": {"spliced": {"clips": 3, "methods": {"zomg": {"miou": 0.8}, "uniform": {"miou": 0.6}}}}}
    assert write_bench_plots(old, tmp_path / "old") == [tmp_path / "old" / "bench_summary.png"]
    pts = reliability([0.05, 0.07, 0.95, 0.99], [0.1, 0.6, 0.9, 0.2])
    assert pts == [(pytest.approx(0.06), 0.5, 2), (pytest.approx(0.97), 0.5, 2)]


def test_bench_case_timeline(engine, tmp_path):
    from types import SimpleNamespace

    from moground.plots.bench_figures import write_bench_plots
    from moground.preprocess import prepare
    from moground.rigmap import map_to_canonical

    take = load_demo_take()
    fps = engine.encoder.fps
    motion = prepare(map_to_canonical(take.clip), fps).positions
    spans = [(round(t["start_s"] * fps), min(len(motion), round(t["end_s"] * fps))) for t in take.truth]
    case = SimpleNamespace(set_name="realchains", kind="take", vocab="verbatim", clip_id="86_05", motion=motion,
                           phrases=take.actions, spans=spans, labels=take.actions)
    files = write_bench_plots(_bench_payload(), tmp_path, encoder=engine.encoder, cases=[case])
    assert [f.name for f in files] == ["bench_summary.png", "realchains_take_verbatim_86_05.png"]
    assert _read_png(files[1]).shape[1] == 1600
