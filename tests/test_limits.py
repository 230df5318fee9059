"""Input caps (formfit.limits): where they come from and which one wins (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.config import build_settings
from formfit.errors import UsageError
from formfit.limits import Limits


def test_the_flag_beats_the_config_which_beats_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMFIT_MAX_INPUT_MB", "77")
    assert Limits().max_input_mb == 77
    cfg = tmp_path / "c.yaml"
    cfg.write_text("limits: {max_input_mb: 300, max_cell_mb: 2}\n")
    from_config = build_settings(config=cfg)
    assert from_config.limits == Limits(max_input_mb=300, max_cell_mb=2)
    both = build_settings(config=cfg, max_input_mb=900)
    assert both.limits == Limits(max_input_mb=900, max_cell_mb=2)
    flag_only = build_settings(max_input_mb=5)
    assert flag_only.limits is not None and flag_only.limits.max_input_mb == 5
    assert flag_only.limits.max_cell_mb == Limits().max_cell_mb


def test_limits_never_reach_the_json_settings() -> None:
    """They refuse an input or not; they never change a result, so golden JSON is unchanged."""
    assert "limits" not in build_settings(max_input_mb=5).to_dict()


@pytest.mark.parametrize("value", [0, -3, "12x"])
def test_a_cap_must_be_a_positive_whole_number(value: object) -> None:
    with pytest.raises(UsageError, match="not a positive whole number"):
        build_settings(max_input_mb=value)


def test_a_raised_cell_cap_lets_a_big_cell_through(tmp_path: Path) -> None:
    """The cap names itself and its config key; raising it by that key admits the file."""
    subs = tmp_path / "subs.jsonl"
    big = "z" * (3 << 20)
    subs.write_text("".join(f'{{"lead_id": "L{i}", "form_id": "a", "note": '
                            f'"{big if i == 2 else "ok"}"}}\n' for i in range(10)))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("limits: {max_cell_mb: 2}\n")
    res = CliRunner().invoke(app, ["validate", "-s", str(subs), "-c", str(cfg)])
    assert res.exit_code == 2
    assert "subs.jsonl line 3 column 'note' holds a cell of 3.0 MB" in res.stderr
    assert "limits: {max_cell_mb: 4}" in res.stderr
    cfg.write_text("limits: {max_cell_mb: 4}\n")
    res = CliRunner().invoke(app, ["validate", "-s", str(subs), "-c", str(cfg)])
    assert res.exit_code == 0, res.output


def test_the_library_takes_max_input_mb(tmp_path: Path) -> None:
    import formfit
    from formfit.errors import FormfitError

    subs = tmp_path / "subs.jsonl"
    subs.write_text('{"lead_id": "L1", "form_id": "a", "pad": "' + "x" * (2 << 20) + '"}\n')
    with pytest.raises(FormfitError, match="larger than 1 MB"):
        formfit.validate(subs, max_input_mb=1)


def test_running_out_of_memory_is_a_named_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs under the caps can still exceed a small machine: exit 2 with what to do, not a
    MemoryError traceback."""
    import formfit.api

    def exhausted(*_: object) -> None:
        raise MemoryError

    monkeypatch.setattr(formfit.api, "validate_settings", exhausted)
    subs = Path(__file__).parent / "data" / "bad" / "good" / "subs.csv"
    res = CliRunner().invoke(app, ["validate", "-s", str(subs), "--max-input-mb", "300"])
    assert res.exit_code == 2
    assert isinstance(res.exception, SystemExit)
    assert "Error: formfit ran out of memory" in res.stderr and "--max-input-mb" in res.stderr


def test_the_library_takes_the_cap_like_the_cli() -> None:
    import formfit
    from formfit.errors import InputError

    sample = Path(formfit.__file__).parent / "sample_data"
    with pytest.raises(InputError) as exc:  # submissions.csv is 1.3 MB
        formfit.analyze(sample / "submissions.csv", max_input_mb=1)
    assert "submissions.csv" in str(exc.value) and "max_input_mb" in str(exc.value)


@pytest.mark.parametrize("command", ["analyze", "validate"])
def test_the_help_gives_the_real_default_cap(command: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The help said 4096 while the cap was 512."""
    from formfit.limits import DEFAULT_INPUT_MB

    monkeypatch.delenv("FORMFIT_MAX_INPUT_MB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    res = CliRunner().invoke(app, [command, "-h"])
    assert res.exit_code == 0, res.output
    assert Limits().max_input_mb == DEFAULT_INPUT_MB == 512
    text = " ".join(res.output.replace("│", " ").split())
    assert f"Default {DEFAULT_INPUT_MB};" in text and "4096" not in text


SAMPLE = Path(__file__).resolve().parent.parent / "formfit" / "sample_data" / "submissions.csv"
HUGE = "99999999999999999999"


@pytest.mark.parametrize("how, words", [
    ("flag", "--max-input-mb is 99999999999999999999, more than the largest value formfit "
             "accepts (1,000,000)"),
    ("env", "FORMFIT_MAX_INPUT_MB is 99999999999999999999, more than"),
    ("config input", "limits.max_input_mb is 99999999999999999999, more than"),
    ("config cell", "limits.max_cell_mb is 5000, more than the largest value formfit accepts "
                    "(1,000)"),
])
def test_an_absurd_cap_is_refused_with_its_range(
        how: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These gave an OverflowError traceback (exit 1): the read buffer is an index-sized
    integer, pyarrow's block_size an int32."""
    monkeypatch.delenv("FORMFIT_MAX_INPUT_MB", raising=False)
    args = ["analyze", "-q", "-s", str(SAMPLE)]
    cfg = tmp_path / "c.yaml"
    if how == "flag":
        args += ["--max-input-mb", HUGE]
    elif how == "env":
        monkeypatch.setenv("FORMFIT_MAX_INPUT_MB", HUGE)
    else:
        cap = f"max_input_mb: {HUGE}" if how == "config input" else "max_cell_mb: 5000"
        cfg.write_text(f"limits: {{{cap}}}\n")
        args += ["-c", str(cfg)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert isinstance(res.exception, SystemExit)
    assert words in " ".join(res.stderr.split())
    assert "Give a whole number from 1 to" in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize("how", ["flag", "config"])
def test_a_cap_given_outranks_a_bad_environment_cap(
        how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flag and the config outrank FORMFIT_MAX_INPUT_MB: a bad value there used to stop
    the run even when the flag or config set the cap itself."""
    monkeypatch.setenv("FORMFIT_MAX_INPUT_MB", HUGE)
    args = ["analyze", "-q", "-s", str(SAMPLE), "--format", "json"]
    if how == "flag":
        args += ["--max-input-mb", "100"]
    else:
        cfg = tmp_path / "c.yaml"
        cfg.write_text("limits: {max_input_mb: 100}\n")
        args += ["-c", str(cfg)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["fields"]


def test_the_library_refuses_an_absurd_cap_in_its_words() -> None:
    import formfit

    with pytest.raises(UsageError) as err:
        formfit.validate(SAMPLE, max_input_mb=10**20)
    assert "max_input_mb is 100000000000000000000, more than" in err.value.message
    assert "--" not in err.value.message


def test_the_largest_caps_still_read(tmp_path: Path) -> None:
    """At the maximum the read is sized by the file, not by the cap (read(1 TB) is a
    MemoryError), and a CSV block fits pyarrow's int32; gzip too."""
    import gzip

    gz = tmp_path / "subs.csv.gz"
    gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("limits: {max_input_mb: 1000000, max_cell_mb: 1000}\n")
    for subs in (SAMPLE, gz):
        res = CliRunner().invoke(app, ["validate", "-s", str(subs), "-c", str(cfg)])
        assert res.exit_code == 0, res.output
