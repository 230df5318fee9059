"""The library API the way pandas users expect it (issue 11): a discoverable signature, paths
or DataFrames, a frame indexed by field, result["phone"], summary(), _repr_html_, and errors
that are FormfitErrors in the library's words."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import formfit
from formfit.errors import FormfitError, InputError, UsageError

DATA = Path(__file__).resolve().parent / "data"
SUBS = DATA / "submissions.csv"
COLS = {"Form ID": "form_id"}


@pytest.fixture(scope="module")
def result() -> formfit.AnalysisResult:
    return formfit.analyze(SUBS, DATA / "views_rows.csv", DATA / "outcomes.csv",
                           DATA / "forms.yaml", columns=COLS)


def test_signature_is_discoverable() -> None:
    params = inspect.signature(formfit.analyze).parameters
    assert list(params)[:4] == ["submissions", "views", "outcomes", "forms"]
    for name in ("segments", "margin", "maturity_days", "as_of", "engine", "columns"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[name].annotation != inspect.Parameter.empty
        assert name in (formfit.analyze.__doc__ or "")


def test_dataframe_and_arrow_inputs_give_the_file_result(result: formfit.AnalysisResult) -> None:
    subs = pd.read_csv(SUBS, dtype=str)
    views = pd.read_csv(DATA / "views_rows.csv")  # typed columns (ints) as pandas reads them
    deals = pa.table(pd.read_csv(DATA / "outcomes.csv", dtype=str))
    before = subs.copy()
    from_frames = formfit.analyze(subs, views, deals, DATA / "forms.yaml", columns=COLS)
    # checking consumes formfit's own copy of the rows, never the caller's frame
    pd.testing.assert_frame_equal(subs, before)
    a, b = result.to_dict(), from_frames.to_dict()
    assert a["fields"] == b["fields"]
    assert a["inputs"]["submissions"] == b["inputs"]["submissions"]
    assert b["settings"]["submissions"] == "(DataFrame)"
    assert b["settings"]["outcomes"] == "(Table)"


def test_to_frame_is_indexed_by_field_with_numbers(result: formfit.AnalysisResult) -> None:
    df = result.to_frame()
    assert df.index.name == "field"
    assert set(df.index) == {f.field for f in result.fields}
    assert df.loc["phone", "forms"] == list(result["phone"].forms)
    for col in ("conversion_pp", "conversion_pp_ci_low", "conversion_pp_p_value",
                "wins_per_1k_views_ci_high", "q_value", "margin_wins_per_1k_views"):
        assert df[col].dtype == "float64", col
    assert df.loc["phone", "conversion_pp"] == result["phone"].drop_effect.conversion_pp.estimate
    assert list(df["verdict"].cat.categories)[:2] == ["keep", "make_optional"]
    assert df.loc["consent", "verdict"] == "protected"
    assert df.loc["consent", "evidence"] in ("randomized", "observational", "aliased", "none")


def test_getitem(result: formfit.AnalysisResult) -> None:
    assert result["phone"].field == "phone"
    assert "phone" in result and "fax" not in result
    with pytest.raises(KeyError) as err:
        result["phnoe"]
    assert isinstance(err.value, FormfitError)
    assert "'phone'" in str(err.value)


def test_summary_and_repr_html(result: formfit.AnalysisResult,
                               capsys: pytest.CaptureFixture[str]) -> None:
    result.summary()
    out = capsys.readouterr().out
    assert "margin = 2%" in out and "phone" in out and "lower 0.95" in out
    page = result._repr_html_()
    assert page.count("<tr>") == len(result.fields) + 1


def test_as_of_not_a_date_is_a_formfit_error() -> None:
    with pytest.raises(UsageError) as err:
        formfit.analyze(SUBS, as_of="31/12/2025")
    assert "as_of '31/12/2025' is not a date" in err.value.message


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"margin": "2x"}, "margin '2x' is not a margin"),
    ({"maturity_days": "90"}, "maturity_days '90' is not a whole number"),
    ({"columns": ["Form ID"]}, "columns"),
])
def test_bad_options_fail_first_in_library_words(kwargs: dict, words: str,
                                                tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        formfit.analyze(tmp_path / "missing.csv", **kwargs)
    text = err.value.message + " " + err.value.hint
    assert words in text
    assert "--" not in text


def test_input_errors_name_parameters_not_flags() -> None:
    """The same missing-column check says --map on the command line and columns= here."""
    with pytest.raises(InputError) as err:
        formfit.analyze(SUBS)
    text = err.value.message + " " + err.value.hint
    assert 'columns={"Form ID": "form_id"}' in text
    assert "--" not in text


def test_wrong_input_type() -> None:
    with pytest.raises(UsageError) as err:
        formfit.analyze([1, 2, 3])  # type: ignore[arg-type]
    assert "submissions is a list" in err.value.message


def test_engine_is_passed_through() -> None:
    s = formfit.make_settings(SUBS, engine="duckdb:///x.db")
    assert s.engine == "duckdb:///x.db"
    assert s.to_dict()["engine"] == "duckdb:///x.db"


def test_engine_credentials_never_reach_the_settings_output() -> None:
    s = formfit.make_settings(SUBS, engine="postgres://ann:s3cret@db.example/marketing")
    assert s.engine == "postgres://ann:s3cret@db.example/marketing"  # the engine needs them
    assert s.to_dict()["engine"] == "postgres://***@db.example/marketing"


SAMPLE_SUBS = Path(formfit.__file__).parent / "sample_data" / "submissions.csv"


@pytest.mark.parametrize("call, words", [
    (lambda tmp: formfit.simulate(tmp / "w", seed="x"), "seed 'x'"),
    (lambda tmp: formfit.simulate(tmp / "w", seed=-1), "seed -1"),
    (lambda tmp: formfit.analyze(SAMPLE_SUBS, constants=5), "constants is of type int"),
    (lambda tmp: formfit.analyze(SAMPLE_SUBS, columns={"email": 5}), "columns: 'email': 5"),
    (lambda tmp: formfit.analyze(SAMPLE_SUBS, engine=5), "engine is of type int"),
    (lambda tmp: formfit.analyze(SAMPLE_SUBS, as_of=20250101), "as_of 20250101"),
    (lambda tmp: formfit.render({"a": 1}, "html"), "render() takes the result"),
])
def test_bad_library_arguments_are_usage_errors(tmp_path: Path, call: Any, words: str) -> None:
    """These raised numpy's TypeError, AttributeError, or were silently read (engine=5 ran
    the file analysis; columns={'email': 5} renamed email to '5')."""
    with pytest.raises(UsageError) as err:
        call(tmp_path)
    assert words in str(err.value)


def test_a_dataframe_with_a_repeated_column_is_the_arrow_tables_input_error() -> None:
    """pandas refused the repeat with a raw ValueError ("Duplicate column names found"); the
    same data as an Arrow table already said which columns clash."""
    frame = pd.DataFrame([["a@x.com", "f1", "b@x.com"], ["c@x.com", "f1", "d@x.com"]])
    frame.columns = ["email", "form_id", "email"]
    with pytest.raises(InputError) as from_pandas:
        formfit.validate(frame)
    with pytest.raises(InputError) as from_arrow:
        formfit.validate(pa.Table.from_arrays([pa.array(frame.iloc[:, i]) for i in range(3)],
                                              names=["email", "form_id", "email"]))
    assert "several columns end up with one name" in from_pandas.value.message
    assert from_pandas.value.message == from_arrow.value.message.replace("Arrow table",
                                                                         "DataFrame")


@pytest.mark.parametrize("kwargs, words", [
    ({"segments": 5}, "segments is '5' (of type int), not a column name or a list of them"),
    ({"ignore": 5}, "ignore is '5' (of type int), not a column name or a list of them"),
    ({"ignore": ["note", 5]}, "ignore is \"['note', 5]\""),
    ({"settings": 5}, "settings is of type int, not formfit Settings"),
])
@pytest.mark.parametrize("call", [formfit.validate, formfit.analyze, formfit.load_inputs])
def test_wrong_argument_types_are_usage_errors(call: Any, kwargs: dict, words: str) -> None:
    """These raised TypeError (tuple(5)) or AttributeError (5.submissions)."""
    with pytest.raises(UsageError) as err:
        call(SAMPLE_SUBS, **kwargs)
    assert words in err.value.message


def test_names_may_be_any_list_of_strings() -> None:
    subs = pd.read_csv(SAMPLE_SUBS, dtype=str)
    s = formfit.make_settings(subs, ignore=subs.columns[:0].append(pd.Index(["x"])),
                              segments="device")
    assert s.ignore_columns == ("x",) and s.segments == ("device",)


@pytest.mark.parametrize("missing", [pd.NaT, float("nan"), pd.NA])
def test_a_missing_as_of_is_not_given(missing: Any) -> None:
    """pd.NaT passed as a datetime: the JSON said "as_of": "NaT" and every win was dropped."""
    assert formfit.make_settings(SUBS, as_of=missing).as_of is None


def test_as_of_nat_gives_the_default_result(result: formfit.AnalysisResult) -> None:
    nat = formfit.analyze(SUBS, DATA / "views_rows.csv", DATA / "outcomes.csv",
                          DATA / "forms.yaml", columns=COLS, as_of=pd.NaT).to_dict()
    assert nat["settings"]["as_of"] != "NaT"
    assert nat == result.to_dict()
