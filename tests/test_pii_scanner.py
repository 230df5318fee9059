"""A scanner for personal data in everything formfit prints.

A simulated world is seeded with recognisable personal data: the submissions' own emails,
phones and first/last names, a categorical field of recurring full names (``referred_by``),
personal values shifted into ``form_id``, and malformed cells (an email or a name in a date
column, a name as an outcome or CRM stage, a phone as a daily views count, a file whose header
row is missing). Every command runs in every format, through the real CLI, and the test fails
on any email address, phone number or seeded full name in stdout or stderr. CRM stage names
("Closed Won") and categorical answers ("11-50", "demo-a") must stay visible.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import formfit
from formfit.api import simulate
from formfit.cli import app
from formfit.errors import FormfitError

SEEDED_NAMES = ("Susan Harris", "Michael Johnson", "Linda Thompson", "Robert Garcia",
                "Karen Walker", "Thomas Wright")
SEEDED_PHONES = ("+1 (415) 555-0142", "020 7946 0958", "+44 7700 900123")
SEEDED_EMAILS = ("susan.harris@acme.example", "r.garcia@globex.example")
EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
ANALYZE_FORMATS = ("table", "json", "markdown", "html")
VALIDATE_FORMATS = ("table", "json")
CHECK_FORMATS = ("text", "json", "markdown", "github", "sarif")


@dataclass
class World:
    dir: Path
    subs: pd.DataFrame
    outs: pd.DataFrame
    daily: pd.DataFrame
    forms: dict[str, Any]
    full_names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(df: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".xlsx":
        df.to_excel(path, index=False)
    elif path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_csv(path, index=False)
    return path


def _add_field(forms: dict[str, Any], name: str) -> None:
    for form in forms["forms"].values():
        for spec in [form, *form.get("versions", [])]:
            if "fields" in spec:
                spec["fields"].append(name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    d = tmp_path_factory.mktemp("pii")
    simulate(d, seed=11, views=4000)
    subs, outs = _read(d / "submissions.csv"), _read(d / "outcomes.csv")
    daily = _read(d / "views_daily.csv")
    forms = yaml.safe_load((d / "forms.yaml").read_text(encoding="utf-8"))
    n = len(subs)
    # a referrer: a categorical field of recurring full names, each on many rows
    subs["referred_by"] = [SEEDED_NAMES[i % len(SEEDED_NAMES)] if i % 4 else ""
                           for i in range(n)]
    _add_field(forms, "referred_by")
    # a column shift on three rows: personal values in form_id
    subs.loc[3, "form_id"] = subs.loc[3, "email"].strip()
    subs.loc[5, "form_id"] = SEEDED_NAMES[0]
    subs.loc[9, "form_id"] = SEEDED_PHONES[0]
    w = World(d, subs, outs, daily, forms)
    w.full_names = {f"{a} {b}" for a, b in zip(subs["first_name"], subs["last_name"],
                                                strict=True) if a and b} | set(SEEDED_NAMES)
    # the world's phones, less its junk ("0000000000" is no one's)
    w.phones = {p for p in subs["phone"] if len(set(re.sub(r"\D", "", p))) >= 3} \
        | set(SEEDED_PHONES)
    _write(subs, d / "subs.csv")
    views = _read(d / "views.csv")  # the same shift in the views export
    for row, value in ((10, SEEDED_EMAILS[1]), (11, SEEDED_NAMES[2]), (12, SEEDED_PHONES[1])):
        views.loc[row, "form_id"] = value
    _write(views, d / "views_seeded.csv")
    (d / "forms_seeded.yaml").write_text(yaml.safe_dump(forms), encoding="utf-8")
    return w


def leaks(w: World, text: str) -> list[str]:
    """Every email, phone or full name of the world found in ``text``."""
    found = [m.group(0) for m in EMAIL.finditer(text)]
    low = text.casefold()
    found += [n for n in w.full_names if n.casefold() in low]
    digits = re.sub(r"\D", "", text)
    found += [p for p in w.phones if p in text or re.sub(r"\D", "", p) in digits]
    return found


@dataclass
class Tally:
    runs: int = 0
    leaks: list[tuple[str, str]] = field(default_factory=list)

    def scan(self, w: World, label: str, text: str) -> None:
        self.runs += 1
        self.leaks += [(label, x) for x in leaks(w, text)]


def _cli(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(app, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    err = getattr(res, "stderr", "") or ""
    return res.exit_code, res.stdout + "\n" + err


# --- malformed inputs: each one file of the world, changed -------------------------------------

Change = Callable[[World], list[str]]


def _subs(w: World, edit: Callable[[pd.DataFrame], pd.DataFrame], ext: str = "csv",
          header: bool = True) -> list[str]:
    df = edit(w.subs.copy())
    path = w.dir / f"subs_bad.{ext}"
    if header:
        _write(df, path)
    else:
        path.write_text(df.to_csv(index=False, header=False), encoding="utf-8")
    return ["--submissions", str(path), "--outcomes", str(w.dir / "outcomes.csv")]


def _outs(w: World, edit: Callable[[pd.DataFrame], pd.DataFrame], ext: str = "csv",
          config: str | None = None) -> list[str]:
    path = _write(edit(w.outs.copy()), w.dir / f"outs_bad.{ext}")
    args = ["--submissions", str(w.dir / "subs.csv"), "--outcomes", str(path)]
    if config is not None:
        cfg = w.dir / "stages.yaml"
        cfg.write_text(config, encoding="utf-8")
        args += ["--config", str(cfg)]
    return args


def _set(col: str, row: int, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df
    return edit


def _stages(df: pd.DataFrame) -> pd.DataFrame:
    names = {"won": "Closed Won", "lost": "Closed Lost", "open": "Negotiation"}
    df["stage"] = df.pop("outcome").map(names)
    df.loc[2, "stage"] = SEEDED_NAMES[4]
    df.loc[4, "stage"] = SEEDED_EMAILS[1]
    df.loc[6, "stage"] = SEEDED_PHONES[1]
    return df


def _daily(w: World) -> list[str]:
    df = w.daily.copy()
    df.loc[4, "views"] = SEEDED_PHONES[2]
    path = _write(df, w.dir / "daily_bad.csv")
    return ["--submissions", str(w.dir / "subs.csv"), "--views", str(path)]


def _views_rows(w: World) -> list[str]:
    df = _read(w.dir / "views.csv")
    df.loc[7, "viewed_at"] = SEEDED_EMAILS[0]
    path = _write(df, w.dir / "views_bad.csv")
    return ["--submissions", str(w.dir / "subs.csv"), "--views", str(path)]


def _is_won(df: pd.DataFrame) -> pd.DataFrame:
    df["is_won"] = (df.pop("outcome") == "won").map({True: "yes", False: "no"})
    df.loc[5, "is_won"] = SEEDED_EMAILS[0]
    df.loc[8, "is_won"] = SEEDED_NAMES[3]
    return df


def _views_flag(w: World) -> list[str]:
    df = _read(w.dir / "views.csv")
    df["submitted"] = "0"
    df.loc[3, "submitted"] = SEEDED_PHONES[0]
    df.loc[4, "submitted"] = SEEDED_NAMES[5]
    path = _write(df, w.dir / "views_flag.csv")
    return ["--submissions", str(w.dir / "subs.csv"), "--views", str(path)]


def _outs_no_header(w: World) -> list[str]:
    path = w.dir / "outs_nohead.csv"
    path.write_text(w.outs.to_csv(index=False, header=False), encoding="utf-8")
    return ["--submissions", str(w.dir / "subs.csv"), "--outcomes", str(path)]


MALFORMED: dict[str, Change] = {
    "email in submitted_at (csv)": lambda w: _subs(w, _set("submitted_at", 6, SEEDED_EMAILS[0])),
    "email in submitted_at (xlsx)": lambda w: _subs(
        w, _set("submitted_at", 6, SEEDED_EMAILS[0]), "xlsx"),
    "email in submitted_at (jsonl)": lambda w: _subs(
        w, _set("submitted_at", 6, SEEDED_EMAILS[0]), "jsonl"),
    "name in submitted_at": lambda w: _subs(w, _set("submitted_at", 8, SEEDED_NAMES[1])),
    "phone in submitted_at": lambda w: _subs(w, _set("submitted_at", 8, SEEDED_PHONES[1])),
    "header row missing": lambda w: _subs(w, lambda df: df, header=False),
    "name as outcome (csv)": lambda w: _outs(w, _set("outcome", 3, SEEDED_NAMES[2])),
    "name as outcome (xlsx)": lambda w: _outs(w, _set("outcome", 3, SEEDED_NAMES[2]), "xlsx"),
    "email as outcome (jsonl)": lambda w: _outs(
        w, _set("outcome", 3, SEEDED_EMAILS[1]), "jsonl"),
    "names in CRM stage, no map": lambda w: _outs(w, _stages),
    "names in CRM stage, partial map": lambda w: _outs(
        w, _stages, config="stages:\n  Closed Won: won\n  Closed Lost: lost\n"),
    "email in closed_at": lambda w: _outs(w, _set("closed_at", 1, SEEDED_EMAILS[1])),
    "name as amount": lambda w: _outs(w, _set("amount", 1, SEEDED_NAMES[5])),
    "phone as daily views": _daily,
    "email and name as is_won": lambda w: _outs(w, _is_won),
    "phone and name as a view's submitted flag": _views_flag,
    "deals file without its header row": _outs_no_header,
    "email as viewed_at": _views_rows,
}


@pytest.fixture
def computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """analyze_settings / validate_settings memoised on the settings (result or error)."""
    import formfit.api

    for name in ("analyze_settings", "validate_settings"):
        real = getattr(formfit.api, name)
        memo: dict[str, Any] = {}

        def once(settings: Any, real: Any = real, memo: dict[str, Any] = memo) -> Any:
            files = [Path(p) for p in (settings.submissions, settings.views, settings.outcomes,
                                       settings.forms, settings.config) if p is not None]
            # a file rewritten under the same name is new input
            key = repr(replace(settings, progress=False)) + "".join(
                hashlib.sha1(f.read_bytes()).hexdigest() for f in files if f.is_file())
            if key not in memo:
                try:
                    memo[key] = real(settings)
                except FormfitError as exc:
                    memo[key] = exc
            if isinstance(memo[key], FormfitError):
                raise memo[key]
            return memo[key]

        monkeypatch.setattr(formfit.api, name, once)


@pytest.mark.usefixtures("computed_once")
def test_no_personal_data_in_any_output(world: World) -> None:
    tally = Tally()
    w = world
    full = ["--submissions", str(w.dir / "subs.csv"), "--views", str(w.dir / "views_seeded.csv"),
            "--outcomes", str(w.dir / "outcomes.csv"), "--forms", str(w.dir / "forms_seeded.yaml")]
    # the seeded world, analysed: every format through the CLI
    outputs: dict[str, str] = {}
    for fmt in ANALYZE_FORMATS:
        code, text = _cli(["analyze", *full, "--format", fmt])
        assert code == 0, text[-2000:]
        outputs[fmt] = text
        tally.scan(w, f"analyze {fmt}", text)
    for fmt in VALIDATE_FORMATS:
        code, text = _cli(["validate", *full, "--format", fmt])
        assert code == 0, text[-2000:]
        tally.scan(w, f"validate {fmt}", text)
    result = json.loads(_json(outputs["json"]))
    by_field = {f["field"]: f for f in result["fields"]}
    levels = [v["value"] for v in by_field["referred_by"]["predictive"]["win_rate_by_value"]]
    sizes = {v["value"] for v in by_field["company_size"]["predictive"]["win_rate_by_value"]}
    assert "11-50" in sizes  # categorical answers stay visible
    unknown = [x for x in result["warnings"] if x["code"] == "UNKNOWN_FORM"]
    assert len(unknown) == 2, result["warnings"]  # submissions and views, each by kind
    assert all("<a person's name>" in x["message"] for x in unknown), unknown

    # check: the seeded world's evidence, a change that drops referred_by and adds a field
    evidence = w.dir / "evidence.json"
    evidence.write_text(_json(outputs["json"]), encoding="utf-8")
    head_forms = yaml.safe_load(yaml.safe_dump(w.forms))
    for form in head_forms["forms"].values():
        for spec in [form, *form.get("versions", [])]:
            if "fields" in spec:
                kept = [f for f in spec["fields"] if f != "referred_by"]
                spec["fields"] = kept + ([] if "job_title" in kept else ["job_title"])
    head = w.dir / "forms_head.yaml"
    head.write_text(yaml.safe_dump(head_forms), encoding="utf-8")
    for fmt in CHECK_FORMATS:
        code, text = _cli(["check", "--base", str(w.dir / "forms_seeded.yaml"), "--head",
                           str(head), "--evidence", str(evidence), "--format", fmt])
        assert code in (0, 1), text[-2000:]
        tally.scan(w, f"check {fmt}", text)

    # malformed inputs: analyze in every format and validate, each a clear error
    shown_stages = ""
    for label, change in MALFORMED.items():
        args = change(w)
        for cmd, fmts in (("analyze", ANALYZE_FORMATS), ("validate", VALIDATE_FORMATS)):
            for fmt in fmts:
                code, text = _cli([cmd, *args, "--format", fmt])
                assert code == 2, (label, text[-2000:])  # a clear error, never a run
                tally.scan(w, f"{label}: {cmd} {fmt}", text)
                if "CRM stage" in label:
                    shown_stages += text
    assert "Closed Won" in shown_stages and "Negotiation" in shown_stages  # not hidden

    # the demo: the bundled sample's people, in every format
    sample = _read(Path(formfit.__file__).parent / "sample_data" / "submissions.csv")
    demo = World(w.dir, sample, w.outs, w.daily, {})
    demo.full_names = {f"{a} {b}" for a, b in zip(sample["first_name"], sample["last_name"],
                                                   strict=True) if a and b}
    demo.phones = {p for p in sample["phone"] if len(set(re.sub(r"\D", "", p))) >= 3}
    for fmt in ANALYZE_FORMATS:
        code, text = _cli(["demo", "--format", fmt])
        assert code == 0, text[-2000:]
        tally.scan(demo, f"demo {fmt}", text)
    print(f"PII scanner: {tally.runs} runs, {len(tally.leaks)} leaks")
    for where, what in sorted(set(tally.leaks)):
        print("LEAK", where, "|", what)
    assert not tally.leaks, tally.leaks[:20]
    assert levels and not set(levels) & set(SEEDED_NAMES), levels  # pooled, never listed


def _json(text: str) -> str:
    """The JSON document of a CLI run whose stderr was appended after it."""
    return text[: text.rindex("}") + 1]
