"""Drop effects on worlds from ``formfit simulate``: labels and coverage against truth.json.

A 20-world version of ``python scripts/coverage_friction.py --worlds 200`` (which gave 0.953
randomized coverage over 400 intervals). Marked slow: about 30 s on two cores.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from script_loader import load_script

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "coverage_friction.py"


def script() -> ModuleType:
    return load_script("coverage_friction")


@pytest.mark.slow
def test_twenty_simulated_worlds() -> None:
    pytest.importorskip("formfit.simulation")
    mod = script()
    seeds = list(range(20))
    with ProcessPoolExecutor(max_workers=2) as ex:
        parts = list(ex.map(mod.one_world, seeds, [True] * len(seeds)))
    rows = pd.DataFrame([r for p in parts for r in p])
    # evidence labels from the design alone agree with the simulator's
    assert (rows["evidence"] == rows["estimated_evidence"]).all()
    rnd = rows[rows["evidence"] == "randomized"]
    assert len(rnd) == 40 and rnd["covered"].notna().all()
    assert int(rnd["covered"].sum()) >= 34  # P(X < 34 | 40, 0.95) < 0.01
    # no estimate where the truth says there is no evidence
    assert rows.loc[rows["evidence"] == "none", "estimate"].isna().all()
    judged = rows[rows["covered"].notna()]
    assert float(judged["covered"].mean()) >= 0.85


@pytest.mark.slow
def test_joint_contrast_from_the_json_model(tmp_path: Path) -> None:
    """The stored block model re-judges a field-set change as one contrast: it reproduces the
    single-field effect, and removing phone and how_did_you_hear together matches the joint
    truth in truth.json."""
    pytest.importorskip("formfit.simulation")
    import json

    from formfit.aggregate import view_cells
    from formfit.config import Settings
    from formfit.io import load_inputs
    from formfit.models.effects import drop_effects, joint_contrast_forms
    from formfit.results import clean
    from formfit.simulation import write_world

    write_world(tmp_path, seed=0)
    inp = load_inputs(Settings(submissions=tmp_path / "submissions.csv",
                               views=tmp_path / "views_daily.csv",
                               forms=tmp_path / "forms.yaml", segments=("device", "channel")))
    fit = drop_effects(view_cells(inp), successes="submissions", trials="views",
                       forms=inp.forms, fields=["phone"], segments=inp.segments)
    model = json.loads(json.dumps(clean(fit.model), allow_nan=False))
    (block,) = [b for b in model["blocks"] if b["kind"] == "randomized"]
    shown = {f: inp.forms.forms[f].versions[-1].fields for f in inp.forms.forms}

    def without(forms: tuple[str, ...], drop: set[str]) -> dict[str, list[str]]:
        return {f: [x for x in shown[f] if x not in drop] for f in forms}

    one = joint_contrast_forms(block, without(("demo-a", "demo-b"), {"phone"}), 100.0)
    e = fit.effects["phone"].estimate
    assert one.estimate == pytest.approx(e.estimate, rel=0.01)
    assert one.ci_high - one.ci_low == pytest.approx(e.ci_high - e.ci_low, rel=0.01)
    truth = json.loads((tmp_path / "truth.json").read_text())["joint_effects"][0]
    assert set(truth["fields"]) == {"phone", "how_did_you_hear"}
    both = joint_contrast_forms(block, without(tuple(truth["forms"]), set(truth["fields"])),
                                100.0)
    assert both.ci_low is not None and both.ci_high is not None
    assert both.ci_low <= truth["conversion_pp"] <= both.ci_high
    assert joint_contrast_forms(block, without(("demo-a",), {"email"})).code == "NOT_IDENTIFIED"
