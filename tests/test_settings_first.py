"""Settings are values parsed once, first (issue 11): a bad margin fails before any file is read;
the margin decide used is carried per field; reasons are codes the renderers put in words."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from formfit.cli import app

DATA = Path(__file__).resolve().parent / "data"
runner = CliRunner()
SMALL = ["--submissions", str(DATA / "submissions.csv"), "--map", "Form ID=form_id",
         "--views", str(DATA / "views_rows.csv"), "--outcomes", str(DATA / "outcomes.csv"),
         "--forms", str(DATA / "forms.yaml")]


def test_bad_margin_fails_before_any_file_is_read(tmp_path: Path) -> None:
    """The submissions file does not exist: the margin error must come first."""
    res = runner.invoke(app, ["analyze", "--submissions", str(tmp_path / "nope.csv"),
                              "--margin", "2x"])
    assert res.exit_code == 2
    assert "--margin '2x' is not a margin" in res.stderr
    assert "nope.csv" not in res.stderr


def test_bad_margin_in_config_names_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "formfit.yaml"
    cfg.write_text("margin: lots\n")
    res = runner.invoke(app, ["analyze", "--submissions", str(tmp_path / "nope.csv"),
                              "--config", str(cfg)])
    assert res.exit_code == 2
    assert "config file formfit.yaml: margin 'lots' is not a margin" in res.stderr


def test_json_carries_per_field_margin_and_reason_code(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["analyze", *SMALL, "--margin", "0.5", "-o", str(out)])
    assert res.exit_code == 0, res.stderr
    data = json.loads(out.read_text())
    assert data["settings"]["margin"] == "0.5"
    for f in data["fields"]:
        assert f["reason_code"], f
        assert f["reason"].endswith(".")
        if f["verdict"] != "protected":
            assert f["margin_wins_per_1k_views"] == 0.5  # absolute: the same for every field
