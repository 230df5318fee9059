"""`formfit design`: the fraction table's algebra against brute force, estimability with form
blocks, sizing against the test-plan power rule, the deployable config, and bad input.

The evidence is the bundled sample's golden result (tests/golden/sample_result.json.golden).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.design import design_experiment, design_from_file
from formfit.design.factorial import TABLE, Fraction, brute_force_aliases, candidates
from formfit.design.plan import design_matrix, estimable
from formfit.evidence import result_from_dict
from formfit.io.forms import read_forms_file
from formfit.models.power import detectable_change_per_1k, views_per_arm
from formfit.results_design import DesignArm

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "sample_result.json.golden"
ALL = [f for k in TABLE for f in candidates(k)]
# published resolutions of the table's designs (Montgomery Table 8.14; None = full)
RESOLUTION = {(3, 4): 3, (3, 8): None, (4, 8): 4, (5, 8): 3, (5, 16): 5, (6, 8): 3,
              (6, 16): 4, (7, 8): 3, (7, 16): 4, (8, 16): 4, (9, 16): 3, (9, 32): 4,
              (10, 16): 3, (10, 32): 4, (1, 2): None, (2, 4): None}


def _evidence_dict() -> dict[str, Any]:
    text = GOLDEN.read_text(encoding="utf-8")
    return json.loads(text[text.index("{"):])


@pytest.fixture()
def evidence(tmp_path: Path) -> Path:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_evidence_dict()), encoding="utf-8")
    return path


@pytest.mark.parametrize("frac", ALL, ids=lambda f: f"k{f.k}-runs{f.runs}")
def test_resolution_and_runs_match_the_published_table(frac: Fraction) -> None:
    assert frac.resolution == RESOLUTION[(frac.k, frac.runs)]
    x = frac.run_matrix()
    assert x.shape == (frac.runs, frac.k)
    assert len({tuple(r) for r in x}) == frac.runs  # distinct runs
    # balanced and orthogonal main effects: X'X = n I for the +-1 columns
    assert np.array_equal(x.T @ x, frac.runs * np.eye(frac.k, dtype=np.int64))


@pytest.mark.parametrize("frac", ALL, ids=lambda f: f"k{f.k}-runs{f.runs}")
def test_alias_structure_matches_brute_force(frac: Fraction) -> None:
    x = frac.run_matrix()
    letters = frac.letters
    for j, letter in enumerate(letters):
        algebra = {frozenset(letters.index(c) for c in w) for w in frac.aliases(letter)}
        brute = set(brute_force_aliases(x, j))
        assert algebra == brute, letter
    # and every word of the defining relation multiplies out to the identity column
    for word in frac.defining_relation():
        prod = np.prod(x[:, [letters.index(c) for c in word]], axis=1)
        assert np.all(prod == 1)


def _arms(frac: Fraction, forms: dict[str, list[int]]) -> list[DesignArm]:
    """Every run on every form; a form shows only its own subset of the fields."""
    names = [f"f{j}" for j in range(frac.k)]
    x = frac.run_matrix()
    arms = []
    for form, cols in forms.items():
        for r in range(frac.runs):
            arms.append(DesignArm(f"{form}-{r}", form, form, 1 / frac.runs, (r + 1,), (), (),
                                  {names[j]: bool(x[r, j] > 0) for j in cols}))
    return arms


@pytest.mark.parametrize("k", range(3, 11))
def test_main_effects_with_intercept_and_form_blocks_are_full_rank(k: int) -> None:
    names = [f"f{j}" for j in range(k)]
    for frac in candidates(k):
        one = _arms(frac, {"only": list(range(k))})
        assert estimable(one, names)
        # two forms, each showing an overlapping part of the fields
        split = _arms(frac, {"a": list(range(0, k - 1)), "b": list(range(1, k))})
        assert estimable(split, names)
        x = design_matrix(split, names)
        assert np.linalg.matrix_rank(x) == x.shape[1]


def test_a_field_on_no_arm_is_not_estimable() -> None:
    frac = candidates(3)[0]
    names = ["f0", "f1", "f2", "never"]
    assert not estimable(_arms(frac, {"a": [0, 1, 2]}), names)


def test_sample_design_sizes_each_field_with_the_test_plan_rule(evidence: Path) -> None:
    d = design_from_file(evidence)
    data = _evidence_dict()
    expected = [f["field"] for f in data["fields"] if not f["protected"] and (
        f["verdict"] == "test" or f["drop_effect"]["evidence"] == "none")]
    assert [f.name for f in d.fields] == expected
    assert d.estimable
    assert d.design["runs"] == 16 and d.design["resolution"] == "IV"
    daily = {f["form_id"]: f["views_per_day"] for f in data["forms"]}
    for f in d.fields:
        src = next(x for x in data["fields"] if x["field"] == f.name)
        assert f.views_per_day == pytest.approx(sum(daily[x] for x in src["forms"]))
        base = src["margin_wins_per_1k_views"] / 0.02
        for weeks, days, change in f.detectable:
            assert days == 7 * weeks + d.horizon_days
            assert change == pytest.approx(
                detectable_change_per_1k(base, f.views_per_day * 7 * weeks / 2))
        n = views_per_arm(base, src["margin_wins_per_1k_views"])
        assert n is not None and f.weeks_needed is not None
        assert (f.weeks_needed - 1) * 7 * f.views_per_day < 2 * n <= (
            f.weeks_needed * 7 * f.views_per_day)
    seq = d.one_at_a_time["sequential_weeks"]
    assert seq == sum(f.weeks_needed or 0 for f in d.fields)
    # watched daily (started: set, N* = planned views) the planned runtime detects less
    from formfit.models.sequential import multiplier

    for f in d.fields:
        planned = dict((w, x) for w, _, x in f.detectable)[d.weeks]
        assert planned is not None and f.detectable_watched is not None
        assert f.detectable_watched / planned == pytest.approx(
            (multiplier(1.0, 1.0) + 0.841621) / (1.959964 + 0.841621), rel=1e-4)


def test_traffic_decides_between_resolution_iii_and_iv() -> None:
    data = _evidence_dict()
    fields = ["first_name", "last_name", "company_size", "budget", "timeline"]
    low = design_experiment(result_from_dict(data), fields, weeks=4)
    assert low.design["resolution"] == "III" and low.design["runs"] == 8
    assert low.resolution_reason == "TRAFFIC_TOO_LOW_FOR_IV"
    rich = json.loads(json.dumps(data))
    for f in rich["forms"]:
        f["views_per_day"] = f["views_per_day"] * 5000  # traffic that detects every margin
    high = design_experiment(result_from_dict(rich), fields, weeks=4)
    assert high.design["resolution"] == "V" and high.design["runs"] == 16
    assert high.resolution_reason == "TRAFFIC_ALLOWS_IV"


def test_cli_writes_a_config_formfit_reads_with_arms_summing_to_one(
        evidence: Path, tmp_path: Path) -> None:
    out = tmp_path / "d"
    res = CliRunner().invoke(app, ["design", "--evidence", str(evidence), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "confounded with the" in res.stdout
    config = read_forms_file(out / "forms.yaml")
    design = json.loads((out / "design.json").read_text(encoding="utf-8"))
    assert (out / "design.md").read_text(encoding="utf-8").startswith("# Experiment design")
    assert set(config.experiments) == set(design["experiments"])
    protected = {"email", "consent"}
    for name, spec in config.experiments.items():
        variants = [f for f in config.forms.values() if f.experiment == name]
        assert sum(v.traffic or 0 for v in variants) == pytest.approx(1.0)
        assert spec.started is None and spec.planned_days == 7 * design["weeks"]
        assert spec.n_star and spec.design["generators"] == design["design"]["generators"]
        for v in variants:  # protected fields on in every arm
            assert protected <= set(v.versions[0].fields)
        # arms of a form differ only in the designed fields
        others = {tuple(x for x in v.versions[0].fields if x not in spec.fields)
                  for v in variants}
        assert len(others) == 1
    text = (out / "forms.yaml").read_text(encoding="utf-8")
    assert "started: null  # set to the day" in text


@pytest.mark.parametrize(("args", "message"), [
    (["--fields", "phonee"], "did you mean 'phone'"),
    (["--fields", "email"], "protected"),
    (["--fields", ",".join(f"f{i}" for i in range(11))], "not a field"),
    (["--weeks", "0"], "--weeks 0"),
])
def test_bad_input_exits_2_with_a_message(evidence: Path, args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["design", "--evidence", str(evidence), *args])
    assert res.exit_code == 2
    assert message in res.stderr and "Traceback" not in res.output


def test_more_than_ten_fields_and_evidence_without_traffic_exit_2(tmp_path: Path) -> None:
    data = _evidence_dict()
    names = [f"extra{i}" for i in range(11)]
    for n in names:
        data["fields"].append({**data["fields"][1], "field": n})
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    res = CliRunner().invoke(app, ["design", "--evidence", str(path), "--fields",
                                   ",".join(names)])
    assert res.exit_code == 2 and "at most 10" in res.stderr
    data = _evidence_dict()
    for f in data["forms"]:
        f.pop("views_per_day")
    path.write_text(json.dumps(data), encoding="utf-8")
    res = CliRunner().invoke(app, ["design", "--evidence", str(path)])
    assert res.exit_code == 2 and "no daily views" in res.stderr


def test_markdown_escapes_field_names(tmp_path: Path) -> None:
    from formfit.renderers.design import render_design

    data = _evidence_dict()
    evil = "<img src=x>|*x*"
    for f in data["fields"]:
        if f["field"] == "message":
            f["field"] = evil
    d = design_experiment(result_from_dict(data), [evil, "first_name"], weeks=4)
    md = render_design(d, "markdown")
    assert "<img" not in md and "&lt;img src=x&gt;\\|\\*x\\*" in md
    assert any(evil in a.fields for a in d.arms)


def test_forms_keep_their_order_and_a_split_experiment_keeps_its_shares(
        evidence: Path, tmp_path: Path) -> None:
    """phone is on demo-a and demo-b only: those two become designed experiments, demo-c and
    demo-d stay the old `demo` experiment with their shares rescaled to sum to 1."""
    res = CliRunner().invoke(app, ["design", "--evidence", str(evidence), "--fields",
                                   "phone,timeline", "--weeks", "8", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    config = read_forms_file(tmp_path / "forms.yaml")
    demo = [f for f in config.forms.values() if f.experiment == "demo"]
    assert sorted(f.form_id for f in demo) == ["demo-c", "demo-d"]
    assert [f.traffic for f in demo] == [0.5, 0.5]
    pricing = [f.versions[0] for f in config.forms.values()
               if f.experiment == "pricing-design"]
    today = ["email", "first_name", "last_name", "company_size", "budget", "consent"]
    assert [list(v.fields) for v in pricing] == [today, [*today, "timeline"]]
    assert pricing[1].optional == ("timeline",)  # optional where the evidence saw it


def test_simulate_design_needs_a_designed_experiment(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "s"), "--design",
                                   str(ROOT / "tests" / "data" / "forms.yaml")])
    assert res.exit_code == 2
    assert "no designed experiment" in res.stderr and "formfit design" in res.stderr


def test_design_text_without_a_weeks_estimate_says_so() -> None:
    """Evidence with no won deals gave "unknown of traffic; this design: unknown to detect
    every margin"."""
    from dataclasses import replace

    from formfit.renderers.design import render_design

    d = design_experiment(result_from_dict(_evidence_dict()), ["message", "first_name"],
                          weeks=4)
    d = replace(d, one_at_a_time={**d.one_at_a_time, "sequential_weeks": None,
                                  "design_weeks_to_detect_every_margin": None})
    for fmt in ("text", "markdown"):
        out = render_design(d, fmt)
        assert "unknown of traffic" not in out
        assert "the weeks cannot be estimated from this evidence" in out
