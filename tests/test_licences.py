"""Each packaged weights file has its own licence, and every place that states it agrees:
the table (weights/LICENSES.json), the file's training metadata, `moground info`'s
licence line, the model card and the package metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from moground.encoders import load_encoder
from moground.encoders.builtin import licence_line
from moground.licences import LICENCES_FILE, weights_licences

WEIGHTS = LICENCES_FILE.parent
REPO = Path(__file__).resolve().parents[1]


def test_every_weights_file_has_its_own_licence_entry():
    files = sorted(p.name for p in WEIGHTS.glob("*.pt"))
    assert files and sorted(weights_licences()) == files
    for name, entry in weights_licences().items():
        assert entry["licence"] and entry["summary"] and entry["training_data"]
        assert (WEIGHTS / entry["model_card"]).is_file()


@pytest.mark.parametrize("name", ["builtin.pt", "builtin_nc.pt"])
def test_metadata_info_and_model_card_agree(name):
    entry = weights_licences()[name]
    meta = torch.load(str(WEIGHTS / name), map_location="cpu", weights_only=True)["meta"]
    # commercial use only for weights trained without non-commercial data
    assert entry["commercial"] == bool(meta.get("cmu_only"))
    assert licence_line(meta) == entry["summary"]
    encoder = load_encoder("builtin" if name == "builtin.pt" else "builtin-nc")
    assert encoder.describe()["licence"] == entry["summary"]  # what `moground info` prints
    card = (WEIGHTS / entry["model_card"]).read_text()
    section = card.split("## Licence", 1)[1].split("\n## ", 1)[0]
    assert entry["licence"] in section and entry["summary"] in section
    for source in ("HumanML3D", "KIT-ML", "Lexicon"):  # each caption source's terms are settled
        assert source in section
    assert ("non-commercial" in entry["summary"].lower()) != entry["commercial"]


def test_package_metadata_names_each_weights_licence():
    pyproject = (REPO / "pyproject.toml").read_text()
    licence = next(line for line in pyproject.splitlines() if line.startswith("license"))
    assert "moground/weights/LICENSES.json" in licence
    for name, entry in weights_licences().items():
        assert name in licence
    assert '"weights/*"' in pyproject  # the table ships with the weights


def test_no_lexicon_description_is_a_babel_label(data_dir):
    """The model cards say the lexicon's descriptions are the project's own words."""
    from moground.text.actions import LEXICON

    babel = {part.strip().lower() for line in (data_dir / "vocab" / "babel_action_labels.txt").read_text().splitlines()
             for part in line.split(",")}
    descriptions = {d.lower() for ds in LEXICON.values() for d in ds}
    assert len(descriptions) > 100 and not descriptions & babel
