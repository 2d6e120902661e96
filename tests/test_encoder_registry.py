"""Encoders are found by name without a plug-in list in base.py, and a broken encoder
says why instead of becoming "unknown encoder"."""

from __future__ import annotations

import sys
import types

import pytest

from moground.encoders import available_encoders, base, load_encoder, register_encoder
from moground.wire.errors import EncoderError


def test_shipped_encoders_are_listed_without_importing_them():
    assert {"builtin", "tmr"} <= set(available_encoders())
    assert "def _import_builtin_encoders" not in open(base.__file__).read()


def test_an_import_error_is_reported_not_hidden(monkeypatch):
    monkeypatch.setitem(base._REGISTRY, "broken", "moground_no_such_module_xyz:load")
    with pytest.raises(EncoderError, match="'broken'.*cannot be imported.*moground_no_such_module_xyz"):
        load_encoder("broken")
    with pytest.raises(EncoderError, match="unknown encoder 'nope'"):
        load_encoder("nope")


def test_register_by_spec_or_decorator(monkeypatch):
    module = types.ModuleType("fake_encoders_mod")
    module.load = lambda path=None, device="cpu", **kw: ("loaded", path, device, kw)
    monkeypatch.setitem(sys.modules, "fake_encoders_mod", module)
    monkeypatch.setitem(base._REGISTRY, "spec", "fake_encoders_mod:load")
    assert load_encoder("spec", "p", k=1) == ("loaded", "p", "cpu", {"k": 1})
    monkeypatch.setitem(base._REGISTRY, "deco", None)
    register_encoder("deco")(lambda path=None, device="cpu": "deco")
    assert load_encoder("deco") == "deco"


def test_both_shipped_weights_load_and_say_what_they_may_be_used_for():
    """The default is the CMU-only file (commercial use), builtin-nc the other one."""
    from moground.paths import BUILTIN_NC_WEIGHTS, BUILTIN_WEIGHTS

    default, nc = load_encoder("builtin"), load_encoder("builtin-nc")
    assert default.describe()["weights"] == str(BUILTIN_WEIGHTS) and default.meta["cmu_only"]
    assert nc.describe()["weights"] == str(BUILTIN_NC_WEIGHTS) and not nc.meta["cmu_only"]
    assert default.describe()["licence"].startswith("commercial use allowed")
    assert nc.describe()["licence"].startswith("NON-COMMERCIAL")
    assert default.cfg.pool_mean_mix and not nc.cfg.pool_mean_mix
    # an explicit path still wins over the packaged file
    assert load_encoder("builtin-nc", str(BUILTIN_WEIGHTS)).describe()["weights"] == str(BUILTIN_WEIGHTS)


def test_each_weights_file_gets_its_own_model_card(tmp_path):
    from moground.training.model_card import model_card_path

    assert model_card_path(tmp_path / "builtin.pt").name == "MODEL_CARD.md"
    assert model_card_path(tmp_path / "builtin_nc.pt").name == "MODEL_CARD_builtin_nc.md"
