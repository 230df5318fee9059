"""Evidence read back as a typed result: `AnalysisResult.from_dict` inverts `to_dict`, and a
hand-edited evidence file stops `formfit check` with exit 2 and a message naming the key and
the type expected, never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.evidence import EvidenceError
from formfit.results import AnalysisResult, Horizon, InputAccounting, Notice, SrmCheck

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "check"
GOLDEN_RESULT = ROOT / "tests" / "golden" / "sample_result.json.golden"


def _evidence() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "evidence.json").read_text(encoding="utf-8"))
    return data


def test_from_dict_inverts_to_dict() -> None:
    """The full demo result (models and all) and the trimmed fixture both round-trip: the
    JSON of the typed result is the JSON it was read from, and reading that again gives an
    equal object."""
    full = json.loads(GOLDEN_RESULT.read_text(encoding="utf-8").split("\n", 1)[1])
    for data in (full, _evidence()):
        result = AnalysisResult.from_dict(copy.deepcopy(data))
        assert result.to_dict() == data
        assert AnalysisResult.from_dict(result.to_dict()) == result


def test_typed_parts() -> None:
    data = _evidence()
    data["warnings"] = [{"code": "WIN_HORIZON_NO_PLATEAU", "message": "wins still arriving",
                         "horizon_days": 84}]
    result = AnalysisResult.from_dict(data)
    assert result.horizon == Horizon(days=84, basis=result.models["horizon_basis"])
    acc = result.accounting
    assert set(acc) == {"submissions", "views", "outcomes"}
    assert isinstance(acc["submissions"], InputAccounting) and acc["submissions"].balanced
    # eventual wins use every lead: none is held out for being young
    assert acc["submissions"].extra["held_out_from_win_analysis"] == {}
    (srm,) = result.srm_checks
    assert isinstance(srm, SrmCheck) and srm.experiment == "demo" and not srm.mismatch
    assert [v.form_id for v in srm.variants] == ["demo-a", "demo-b", "demo-c", "demo-d"]
    assert all(isinstance(n, Notice) for n in result.notices)
    assert result.notices[0].code == "WIN_HORIZON_NO_PLATEAU"
    assert result.notices[0].details["horizon_days"] == 84
    assert [n.to_dict() for n in result.notices] == list(result.warnings)


def test_unknown_keys_pass_through() -> None:
    """models grows with new layouts (eventual wins, ...): keys this version does not read
    are kept, and still come back out of to_dict."""
    data = _evidence()
    data["models"]["wins"]["eventual"] = {"horizon_days": 180, "captured_share": 0.93}
    data["models"]["something_new"] = [1, 2, 3]
    result = AnalysisResult.from_dict(data)
    assert result.to_dict()["models"]["wins"]["eventual"]["captured_share"] == 0.93
    assert result.to_dict()["models"]["something_new"] == [1, 2, 3]


def _edit(path: str, value: Any, delete: bool = False) -> dict[str, Any]:
    data = _evidence()
    *parents, last = path.split("/")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if delete:
        del node[last]
    else:
        node[int(last) if isinstance(node, list) else last] = value
    return data


HAND_EDITS = [
    # (what was edited, the edit, words the message must contain)
    ("a field entry without `field`", ("fields/3/field", None, True),
     ["fields[3]", "no `field` key"]),
    ("views_per_arm: 'lots'", ("fields/1/test_plan/views_per_arm", "lots", False),
     ["fields[1] (first_name).test_plan.views_per_arm", "'lots' (a string)",
      "a whole number"]),
    ("models as a list", ("models", [], False), ["`models` is a list", "an object"]),
    ("a verdict nobody knows", ("fields/0/verdict", "remove", False),
     ["fields[0] (email).verdict", "one of drop, keep"]),
    ("fields as an object", ("fields", {"phone": {}}, False), ["`fields` is an object",
                                                                "a list"]),
    ("an estimate as text", ("fields/3/drop_effect/wins_per_1k_views/ci_low", "-3", False),
     ["fields[3] (phone).drop_effect.wins_per_1k_views.ci_low", "a number or null"]),
    ("a broken SRM check", ("models/srm/0/variants/0/views", "many", False),
     ["models.srm[0].variants[0].views", "a whole number"]),
    ("a model block without coefficients",
     ("models/conversion/blocks/0/coef", None, True),
     ["models.conversion.blocks[0]", "no `coef` key"]),
    ("no schema_version", ("schema_version", None, True), ["not a formfit result"]),
]


@pytest.mark.parametrize(("what", "edit", "words"), HAND_EDITS, ids=[h[0] for h in HAND_EDITS])
def test_hand_edited_evidence_exits_2(tmp_path: Path, what: str, edit: tuple[str, Any, bool],
                                      words: list[str]) -> None:
    ev = tmp_path / "evidence.json"
    ev.write_text(json.dumps(_edit(*edit)), encoding="utf-8")
    with pytest.raises(EvidenceError):
        AnalysisResult.from_dict(json.loads(ev.read_text(encoding="utf-8")))
    res = CliRunner().invoke(app, ["check", "--base", str(DATA / "base.yaml"), "--head",
                                   str(DATA / "remove_kept.yaml"), "--evidence", str(ev)])
    assert res.exit_code == 2, (what, res.output)
    assert "Traceback" not in res.output
    for w in words:
        assert w in res.stderr, (what, w, res.stderr)
    assert "Hint:" in res.stderr


@pytest.mark.parametrize("kind", ["directory", "missing", "not json", "a list"])
def test_unusable_evidence_file_exits_2(tmp_path: Path, kind: str) -> None:
    ev = tmp_path / "evidence.json"
    if kind == "directory":
        ev.mkdir()
    elif kind == "not json":
        ev.write_text("{not json", encoding="utf-8")
    elif kind == "a list":
        ev.write_text("[]", encoding="utf-8")
    res = CliRunner().invoke(app, ["check", "--base", str(DATA / "base.yaml"), "--head",
                                   str(DATA / "base.yaml"), "--evidence", str(ev)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    message = {"directory": "is a directory", "missing": "does not exist",
               "not json": "is not JSON", "a list": "(top level)` is a list"}[kind]
    assert message in res.stderr
