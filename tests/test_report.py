"""The report a marketer reads first (issue 11): the margin line always drawn, `test` fields
never inside "Free to drop", a chart of predictive value when drop effects cannot be placed,
ordinal values in their natural order, plain words for internal keys, and the HTML checked in
a real browser (headless Chromium)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

import formfit
from formfit.renderers import render
from formfit.renderers.html import chart
from formfit.results import AnalysisResult, DropEffect, Predictive, ValueRate

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
INTERNAL = ("planned_share", "observed_share", "too_young", "NO_VARIATION", "NOT_IDENTIFIED",
            "repeat_submission", "duplicate_row")


@pytest.fixture(scope="module")
def sample() -> AnalysisResult:
    return formfit.analyze(SAMPLE / "submissions.csv", SAMPLE / "views.csv",
                           SAMPLE / "outcomes.csv", SAMPLE / "forms.yaml",
                           segments=["device", "channel"])


@pytest.fixture(scope="module")
def no_views(sample: AnalysisResult) -> AnalysisResult:
    """As on X Education: no field's drop effect can be placed on the trade-off chart."""
    fields = tuple(replace(f, drop_effect=DropEffect(evidence="none")) for f in sample.fields)
    return replace(sample, fields=fields)


def _inside(p: dict, q: dict) -> bool:
    return (float(q["x"]) <= float(p["cx"]) <= float(q["x"]) + float(q["w"])
            and float(q["y"]) <= float(p["cy"]) <= float(q["y"]) + float(q["h"]))


def test_margin_line_drawn_with_the_default_relative_margin(sample: AnalysisResult) -> None:
    assert sample.settings["margin"] == "2%"
    c = chart(sample)
    assert c["margin_y"] is not None and c["margin_label"].endswith("margin")


def test_test_fields_never_inside_free_to_drop(sample: AnalysisResult) -> None:
    c = chart(sample)
    (free,) = [q for q in c["quadrants"] if q["title"] == "Free to drop"]
    tests = [p for p in c["points"] if p["verdict"] == "test"]
    assert tests, "the sample has test fields on the chart"
    assert not [p["label"] for p in tests if _inside(p, free)]


def test_predictive_chart_when_nothing_can_be_placed(no_views: AnalysisResult) -> None:
    c = chart(no_views)
    assert c["points"] == []
    pc = c["predictive"]
    assert pc is not None and {r["full"] for r in pc["rows"]} >= {"company_size", "budget"}
    page = render(no_views, "html")
    assert 'class="predictive-chart"' in page
    # one line per reason, not one identical bullet per field
    assert page.count("never removed from a form: effect not estimable") == 1


def test_ordinal_values_in_natural_order(sample: AnalysisResult) -> None:
    counts_order = ["51-200", "1000+", "201-1000", "11-50", "1-10"]
    values = tuple(ValueRate(v, 100 - i, 10, 0.1, 0.05, 0.2) for i, v in enumerate(counts_order))
    f = replace(sample["company_size"], predictive=Predictive(
        information_value=0.2, q_value=0.01, win_rate_by_value=values))
    result = replace(sample, fields=(f,))
    natural = ["1-10", "11-50", "51-200", "201-1000", "1000+"]
    for fmt in ("markdown", "html"):
        page = render(result, fmt)
        positions = [page.index(f">{v}<" if fmt == "html" else f"| {v} |") for v in natural]
        assert positions == sorted(positions), fmt


def test_plain_words_for_internal_keys(sample: AnalysisResult) -> None:
    for fmt in ("table", "markdown", "html"):
        page = render(sample, fmt)
        leaked = [k for k in INTERNAL if k in page.replace("\\_", "_")]
        assert leaked == [], fmt


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def _browser(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra,
                               page.as_uri()], capture_output=True, text=True, timeout=120)


def _js_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line and ("Uncaught" in line or "Error" in line)]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run installs it)")
def test_js_error_detection_works(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>throw new Error('boom')</script></body></html>")
    assert _js_errors(_browser(page, "--dump-dom").stderr)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run installs it)")
@pytest.mark.parametrize("which", ["sample", "no_views"])
def test_report_renders_in_chromium(which: str, request: pytest.FixtureRequest,
                                    tmp_path: Path) -> None:
    result: AnalysisResult = request.getfixturevalue(which)
    page = tmp_path / "report.html"
    page.write_text(render(result, "html"), encoding="utf-8")
    dom = _browser(page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-500:]
    assert _js_errors(dom.stderr) == []
    html = dom.stdout
    section = html[html.index('<section id="chart">'):html.index('<section id="fields">')]
    if which == "sample":
        assert section.count("<path") >= 5  # markers of the placed fields (and the legend)
        assert "stroke-dasharray=\"6 4\"" in section  # the margin line
    else:
        bars = section[section.index('class="predictive-chart"'):]
        assert bars.count("<rect") >= 2
    shot = tmp_path / "report.png"
    res = _browser(page, f"--screenshot={shot}", "--window-size=1400,1600")
    assert res.returncode == 0 and shot.stat().st_size > 20_000
