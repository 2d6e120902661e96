"""Decoder settings follow the loaded weights: the packaged ``builtin-nc`` weights have
their own entry (tuned without the span term), the default weights use the defaults,
and an entry is found by the weights' content, not their file name."""

import json
import shutil

from moground.encoders import load_encoder
from moground.engine import GroundingEngine
from moground.grounding.fused import FusedConfig
from moground.grounding.settings import DECODER_SETTINGS, decoder_settings_for, read_table


def test_default_weights_use_the_defaults_and_builtin_nc_its_own_entry():
    cfg, tuned_for = decoder_settings_for(load_encoder("builtin"))
    assert cfg == FusedConfig() and tuned_for is None
    cfg, tuned_for = decoder_settings_for(load_encoder("builtin-nc"))
    assert tuned_for == "builtin_nc.pt"
    entry = next(e for e in read_table().values() if e["file"] == "builtin_nc.pt")
    assert all(getattr(cfg, k) == v for k, v in entry["settings"].items())
    assert cfg.w_span == 0.0 != FusedConfig().w_span
    # the engine grounds with them and says so in info
    engine = GroundingEngine(encoder="builtin-nc")
    assert engine.fused == cfg
    assert engine.info()["decoder"] == {"settings": "tuned for builtin_nc.pt", "span_term": 0.0, "text_term": cfg.w_text}
    assert GroundingEngine().info()["decoder"]["settings"].startswith("defaults")


def test_entries_are_keyed_by_content_not_by_file_name(tmp_path):
    renamed = tmp_path / "builtin.pt"  # the nc weights under the default weights' name
    nc = load_encoder("builtin-nc")
    shutil.copy(nc.describe()["weights"], renamed)
    cfg, tuned_for = decoder_settings_for(load_encoder("builtin", str(renamed)))
    assert tuned_for == "builtin_nc.pt" and cfg.w_span == 0.0
    # a table without that digest gives the defaults, and unknown keys are ignored
    table = tmp_path / "settings.json"
    table.write_text(json.dumps({"weights": {"0" * 64: {"file": "x.pt", "settings": {"w_span": 9.0}}}}))
    assert decoder_settings_for(nc, table) == (FusedConfig(), None)
    digest = next(k for k, e in read_table(DECODER_SETTINGS).items() if e["file"] == "builtin_nc.pt")
    table.write_text(json.dumps({"weights": {digest: {"file": "nc.pt", "settings": {"w_span": 9.0, "unknown": 1}}}}))
    cfg, tuned_for = decoder_settings_for(nc, table)
    assert cfg.w_span == 9.0 and tuned_for == "nc.pt"
