"""Labels of ``win_rate_by_value`` never hold a person's email, phone or name, also when it is
only part of the answer ("Referred by Susan Harris", "Call me: +1 (415) 555-0199 x12"), written
around a filter ("SUSAN.HARRIS at acme dot com") or a name no census list holds ("Priya
Raghunathan"); dropdown phrases stay labels ("Google Search", "Vice President", "New York").

The audit's reproduction, through the real CLI, in JSON, markdown and HTML: a simulated world
whose ``how_did_you_hear`` answers are half replaced by personal data, plus a dropdown of
capitalised phrases that must stay visible.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from formfit.api import simulate
from formfit.cli import app

PERSONAL = ["Referred by Susan Harris", "Priya Raghunathan", "Call me: +1 (415) 555-0199 x12",
            "SUSAN.HARRIS at acme dot com"]
LEAKED = [*PERSONAL, "Susan Harris", "Raghunathan", "555-0199", "acme dot com"]
PHRASES = ["Google Search", "Trade Show", "Word Of Mouth", "United States", "New York",
           "Vice President", "Chief Executive Officer", "Small Business"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pii_labels")
    simulate(d, seed=3, views=8000)
    subs = pd.read_csv(d / "submissions.csv", dtype=str, keep_default_na=False)
    rng = random.Random(1)
    hear = subs["how_did_you_hear"].tolist()
    subs["how_did_you_hear"] = [rng.choice(PERSONAL) if v and rng.random() < 0.5 else v
                                for v in hear]
    # a dropdown of capitalised phrases on every form, answered by everyone
    subs["segment_answer"] = [PHRASES[i % len(PHRASES)] for i in range(len(subs))]
    subs.to_csv(d / "subs_pii.csv", index=False)
    forms = yaml.safe_load((d / "forms.yaml").read_text(encoding="utf-8"))
    for form in forms["forms"].values():
        for spec in [form, *form.get("versions", [])]:
            if "fields" in spec:
                spec["fields"].append("segment_answer")
    (d / "forms_pii.yaml").write_text(yaml.safe_dump(forms), encoding="utf-8")
    return d


def _analyze(d: Path, fmt: str) -> str:
    res = CliRunner().invoke(app, [
        "analyze", "-q", "-s", str(d / "subs_pii.csv"), "--views", str(d / "views.csv"),
        "--outcomes", str(d / "outcomes.csv"), "-f", str(d / "forms_pii.yaml"),
        "--format", fmt])
    assert res.exit_code == 0, res.output[-2000:]
    return res.stdout


def _labels(doc: Any, field: str) -> list[str]:
    """The ``win_rate_by_value`` labels of a field, wherever the JSON document holds them."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if field in (node.get("name"), node.get("field")) and "predictive" in node:
                found.extend(v["value"] for v in node["predictive"]["win_rate_by_value"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    return found


@pytest.fixture(scope="module")
def reports(world: Path) -> dict[str, str]:
    return {fmt: _analyze(world, fmt) for fmt in ("json", "markdown", "html")}


def test_personal_answers_are_pooled_into_other(reports: dict[str, str]) -> None:
    hear = _labels(json.loads(reports["json"]), "how_did_you_hear")
    assert "other" in hear and hear[:2] == ["Google", "LinkedIn"], hear
    assert not set(hear) & set(PERSONAL), hear


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_no_report_prints_the_personal_answers(reports: dict[str, str], fmt: str) -> None:
    text = reports[fmt].casefold()
    assert [s for s in LEAKED if s.casefold() in text] == []


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_dropdown_phrases_stay_labels(reports: dict[str, str], fmt: str) -> None:
    if fmt == "json":
        labels = _labels(json.loads(reports["json"]), "segment_answer")
        assert sorted(labels) == sorted(PHRASES), labels
        # ranges of a dropdown are no phone numbers
        assert {"1-10", "11-50", "51-200", "201-1000"} <= set(
            _labels(json.loads(reports["json"]), "company_size"))
    for phrase in PHRASES:
        assert phrase in reports[fmt], phrase
