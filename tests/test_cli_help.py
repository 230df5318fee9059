"""Every command and option teaches: help text exists, --version works, no args shows help."""

from __future__ import annotations

import subprocess
import sys

import typer.main
from typer.testing import CliRunner

from formfit import __version__
from formfit.cli import app

runner = CliRunner()


def test_every_command_and_option_has_help() -> None:
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    missing = []
    for name, cmd in group.commands.items():
        if not (cmd.help or "").strip():
            missing.append(name)
        for p in cmd.params:
            is_option = getattr(p, "param_type_name", "") == "option"
            if is_option and not (getattr(p, "help", "") or "").strip():
                missing.append(f"{name} {p.opts[0]}")
    assert missing == []
    assert set(group.commands) >= {"analyze", "check", "validate", "simulate", "demo"}


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output.strip() == f"formfit {__version__}"


def test_no_args_shows_help() -> None:
    res = runner.invoke(app, [])
    assert "analyze" in res.output and "validate" in res.output


def test_python_dash_m_and_help_is_fast() -> None:
    """`python -m formfit --help` works and does not import statsmodels or pandas."""
    code = (
        "import sys, runpy; sys.argv=['formfit','--help']\n"
        "try:\n    runpy.run_module('formfit', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('HEAVY', sorted(m for m in ('statsmodels', 'pandas', 'scipy', 'duckdb', 'ibis')\n"
        "                     if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage" in out.stdout
    assert "HEAVY []" in out.stdout


def test_missing_submissions_is_exit_2_with_hint() -> None:
    res = runner.invoke(app, ["analyze"])
    assert res.exit_code == 2
    assert "no submissions file" in res.output
    assert "Traceback" not in res.output


def test_top_level_help_example_is_one_copyable_command() -> None:
    """click rewrapped the example mid-command (--outcomes / deals.csv on separate lines)."""
    res = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "60"}, terminal_width=60)
    lines = res.output.splitlines()
    at = next(i for i, line in enumerate(lines) if "formfit analyze --submissions" in line)
    assert lines[at].rstrip().endswith("\\")
    assert lines[at + 1].strip() == "--outcomes deals.csv --forms forms.yaml"
