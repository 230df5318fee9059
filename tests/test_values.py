"""Value classification (blank / junk / usable), number parsing, field kinds and levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from formfit.models.value_levels import encode_field
from formfit.models.values import (
    classify_series,
    classify_value,
    detect_kind,
    min_level_size,
    normalise,
    parse_number,
    personal_by_content,
    personal_by_name,
    text_by_name,
)

CASES: list[tuple[object, str]] = [
    # blank
    (None, "blank"), (float("nan"), "blank"), (pd.NA, "blank"), ("", "blank"), ("   ", "blank"),
    # placeholders and fillers, any case, with decoration
    ("Select", "junk"), ("select ", "junk"), ("Please Select", "junk"), ("select one", "junk"),
    ("-- Select --", "junk"), ("[Select]", "junk"), ("-", "junk"), ("--", "junk"),
    ("N/A", "junk"), ("na", "junk"), ("None", "junk"), ("NULL", "junk"), ("test", "junk"),
    ("asdf", "junk"), ("qwerty", "junk"), ("xxx", "junk"), ("abc", "junk"), (".", "junk"),
    ("?", "junk"), ("...", "junk"), ("!!", "junk"),
    # digits
    ("0000000000", "junk"), ("1234567890", "junk"), ("1111", "junk"), ("1234", "junk"),
    ("9876", "junk"), ("(000) 000-0000", "junk"), ("+1 111 111 1111", "junk"),
    ("123-456-7890", "junk"),
    # keyboard mashes
    ("sdfgh", "junk"), ("jkjkjk", "junk"), ("hjkl", "junk"), ("asdfgh", "junk"),
    ("zxcv", "junk"), ("aaaa", "junk"), ("abcabc", "junk"), ("bcdfg", "junk"),
    ("test@test.com", "junk"), ("asdf@gmail.com", "junk"),
    # usable: real answers that look a little like junk
    ("Mumbai", "usable"), ("Finance Management", "usable"), ("No", "usable"), ("Yes", "usable"),
    ("Other", "usable"), ("10-49", "usable"), ("1000-4999", "usable"), ("2", "usable"),
    ("1000", "usable"), ("2025", "usable"), ("2345", "usable"), ("KPMG", "usable"),
    ("NCSSM", "usable"), ("IBM", "usable"), ("flask", "usable"), ("salad", "usable"),
    ("Glass", "usable"), ("hall", "usable"), ("Mimi", "usable"), ("abab", "usable"),
    ("rhythm", "usable"), ("jane.doe@acme.com", "usable"), ("+44 20 7946 0958", "usable"),
    ("Tier II Cities", "usable"), ("SMS", "usable"), ("Lead Add Form", "usable"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_classify_value(text: object, expected: str) -> None:
    assert classify_value(text) == expected


def test_classify_series_matches_scalar_and_keeps_index() -> None:
    values = pd.Series([c for c, _ in CASES if isinstance(c, str)] + [None],
                       index=range(100, 100 + sum(isinstance(c, str) for c, _ in CASES) + 1),
                       dtype="str")
    out = classify_series(values)
    assert list(out.index) == list(values.index)
    assert list(out) == [classify_value(v) for v in values]


def test_classify_series_million_rows() -> None:
    rng = np.random.default_rng(1)
    pool = np.array(["Select", "Mumbai", "asdf", "n/a", "Finance Management"]
                    + [f"lead{i}@acme{i % 97}.com" for i in range(20_000)], dtype=object)
    values = pd.Series(rng.choice(pool, 1_000_000), dtype="str")
    values[rng.random(1_000_000) < 0.1] = pd.NA
    out = classify_series(values)
    assert out.isin(["blank", "junk", "usable"]).all()
    assert (out == "blank").sum() == values.isna().sum()


def test_classify_series_vectorised_emails_match_scalar(monkeypatch: pytest.MonkeyPatch) -> None:
    import formfit.models.values as values_mod

    monkeypatch.setattr(values_mod, "VECTORISE_ABOVE", 0)
    vals = ["test@test.com", "Test@Acme.com", " asdf@gmail.com ", "jane@example.org",
            "jane@acme.co", "no-email@x.com", "a b@c.com", "ß@straße.de", "x@abc.de",
            "Select", "1234", "hello", "j@k", "@@", "first.last@sub.corp.io"]
    out = classify_series(pd.Series(vals, dtype="str"))
    assert list(out) == [classify_value(v) for v in vals]


def test_vectorised_emails_in_slices_match_scalar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of 4 over 15 values (the last one short): every label lands at its own value,
    and the labels are the shared constants, not one new string per value."""
    import formfit.models.values as values_mod

    monkeypatch.setattr(values_mod, "VECTORISE_ABOVE", 0)
    monkeypatch.setattr(values_mod, "CLASSIFY_SLICE", 4)
    vals = ["jane@example.org", "test@test.com", "Select", "x@abc.de", "asdf@gmail.com",
            "hello", "first.last@sub.corp.io", "no-email@x.com", "1234", "a b@c.com",
            "jo@acme.co", "@@", "Mumbai", "ß@straße.de", "lead7@corp.com"]
    labels = values_mod.classify_uniques(np.array(vals, dtype=object))
    assert list(labels) == [classify_value(v) for v in vals]
    assert len({id(x) for x in labels if x == "usable"}) == 1


def test_million_distinct_emails_are_personal() -> None:
    values = pd.Series([f"lead{i}@corp{i % 50}.com" for i in range(1_000_000)], dtype="str")
    out = classify_series(values)
    kind = detect_kind("email", values, out)
    assert (out == "usable").all() and kind == "personal"


def test_normalise() -> None:
    assert normalise("  Google\t Ads ") == "google ads"
    assert normalise("GOOGLE") == normalise("google")
    assert normalise(None) == ""


@pytest.mark.parametrize(("text", "number"), [
    ("1,200", 1200.0), ("$1200", 1200.0), ("12.5%", 12.5), ("-3", -3.0), ("1 200", 1200.0),
    (" 42 ", 42.0), ("1e3", 1000.0), ("10-49", None), ("abc", None), ("1,2", None), ("", None),
])
def test_parse_number(text: str, number: float | None) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(("name", "personal"), [
    ("email", True), ("E-mail", True), ("Email Address", True), ("work_email", True),
    ("phone", True), ("Phone Number", True), ("mobile", True), ("tel", True),
    ("first_name", True), ("LastName", True), ("Full Name", True), ("name", True),
    ("contact name", True), ("surname", True), ("linkedin_url", True),
    ("company_name", False), ("company", False), ("City", False), ("Specialization", False),
    ("hotel", False), ("Lead Source", False), ("What is your current occupation", False),
])
def test_personal_by_name(name: str, personal: bool) -> None:
    assert personal_by_name(name) is personal


def test_personal_by_content() -> None:
    assert personal_by_content([f"p{i}@acme.com" for i in range(20)])
    assert personal_by_content([f"+1 415 555 {1000 + i}" for i in range(20)])
    assert personal_by_content(["Jane Doe", "John Smith", "Ana Lopez", "Li Wei", "Omar Haddad",
                                "Sara Berg", "Tom Mayer"])
    # capitalised words that repeat are categories, not names; plain amounts are not phones
    assert not personal_by_content(["Mumbai", "Pune", "Mumbai", "Thane", "Pune", "Mumbai"] * 5)
    assert not personal_by_content([str(v) for v in (2500000, 1000000, 2500000, 500000) * 5])


def _kind(name: str, values: list[str | None]) -> str:
    return detect_kind(name, pd.Series(values, dtype="str"))


def test_detect_kind() -> None:
    rng = np.random.default_rng(0)
    n = 400
    cities = list(rng.choice(["Mumbai", "Pune", "Thane", "Select", None], n))
    assert _kind("City", cities) == "categorical"
    numbers = [str(v) for v in rng.integers(1, 5000, n)]
    assert _kind("employees", numbers) == "numeric"
    ratings = [str(v) for v in rng.integers(1, 6, n)]  # 1..5: levels, not a measurement
    assert _kind("rating", ratings) == "categorical"
    long_text = [" ".join(rng.choice(["we", "need", "a", "quote", "for", "our", "team"], 12))
                 for _ in range(n)]
    assert _kind("message", long_text) == "text"
    ids = [f"Ref {i} {rng.integers(1e6)}" for i in range(n)]
    assert _kind("reference", ids) == "text"
    assert _kind("Magazine", ["No"] * n) == "constant"
    assert _kind("Magazine", ["No"] * (n - 5) + [None, "Select", None, None, "n/a"]) == "constant"


def test_detect_kind_personal_by_name_and_content() -> None:
    rng = np.random.default_rng(0)
    n = 300
    emails = [f"user{i}@corp{i % 7}.com" for i in range(n)]
    assert _kind("email", emails) == "personal"
    assert _kind("contact", emails) == "personal"  # by content
    phones = [f"+44 7{rng.integers(100, 999)} {rng.integers(100000, 999999)}" for _ in range(n)]
    assert _kind("number", phones) == "personal"
    first = ["Anna", "Ben", "Carla", "Dev", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun",
             "Kofi", "Lena", "Mateo", "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq"]
    last = ["Berg", "Cruz", "Diaz", "Eng", "Fox", "Gill", "Hart", "Iqbal", "Joshi", "Kim",
            "Lund", "Moreau", "Nagy", "Okafor", "Park", "Quist", "Rossi", "Silva", "Tan", "Ueda"]
    names = [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(n)]  # mostly distinct
    assert _kind("who", names) == "personal"
    # a name hint does not make a Yes/No opt-out personal
    assert _kind("Do Not Email", list(rng.choice(["Yes", "No"], n))) == "categorical"
    assert _kind("Phone", ["Yes", "No"] * 10) == "personal"  # too few rows to overrule the name


@pytest.mark.parametrize(("name", "text"), [
    ("message", True), ("Comments", True), ("How can we help?", True), ("Anything else", True),
    ("notes", True), ("How did you hear about X Education", False),
    ("A free copy of Mastering The Interview", False), ("company_size", False),
])
def test_text_by_name(name: str, text: bool) -> None:
    assert text_by_name(name) is text


def test_canned_messages_stay_text() -> None:
    msgs = ["Can you send pricing?", "Is there a free trial?", "Please call me back."] * 100
    assert _kind("message", msgs) == "text"


def test_min_level_size() -> None:
    assert min_level_size(100_000) == 1000
    assert min_level_size(3000) == 30
    assert min_level_size(300) == 15
    assert min_level_size(40) == 5


def _encode(values: list[str | None], kind: str) -> tuple[list[str], list[str], np.ndarray]:
    s = pd.Series(values, dtype="str")
    everyone = np.ones(len(s), dtype=bool)
    enc = encode_field(s, classify_series(s), everyone, everyone, kind)
    return list(enc.levels), list(enc.display), enc.codes


def test_encode_categorical_pools_rare_levels_and_keeps_blank_and_junk() -> None:
    values = (["Mumbai"] * 60 + ["mumbai "] * 10 + ["Pune"] * 40 + ["Goa"] * 3 + ["Agra"] * 2
              + ["Select"] * 35 + [None] * 40 + ["x.y@acme.com"] * 31)
    levels, display, codes = _encode(values, "categorical")
    # the e-mail never becomes a label: the model keeps it as a level of its own (31 leads
    # answered it), shown under "other" beside the pooled rare values
    assert levels == ["Mumbai", "Pune", "<withheld 3>", "other", "blank", "junk"]
    assert display == ["Mumbai", "Pune", "other", "other", "blank", "junk"]
    counts = np.bincount(codes)
    assert counts.tolist() == [70, 40, 31, 5, 40, 35]


def test_encode_numeric_bins_have_readable_labels() -> None:
    values = [str(v) for v in range(1, 101)] + [None] * 5 + ["lots"] * 2
    levels, _, codes = _encode(values, "numeric")
    assert levels[:5] == ["1–19", "20–39", "40–59", "60–79", "80+"]
    assert levels[5:] == ["other", "blank"]
    assert np.bincount(codes).tolist() == [19, 20, 20, 20, 21, 2, 5]
    floats = [f"{v / 10:.1f}" for v in range(1, 101)]
    levels, _, _ = _encode(floats, "numeric")
    assert levels == ["<2", "2–<4", "4–<6", "6–<8", "≥8"]


def test_encode_text_and_personal_never_expose_values() -> None:
    text = [f"please call me about item {i}" * (1 + i % 3) for i in range(90)] + [None] * 10
    levels, display, _ = _encode(text, "text")
    assert set(display) <= {"filled", "junk", "blank"}
    assert all(lv.startswith("filled") or lv in ("blank", "junk") for lv in levels)
    emails = [f"u{i}@acme.com" for i in range(50)] + ["test@test.com"] * 5
    levels, display, _ = _encode(emails, "personal")
    assert levels == display == ["filled", "junk"]


def test_factorized_classes_match_value_by_value() -> None:
    """The predictive measures classify each distinct value once and reach the leads through
    integer codes: every lead must get the class its own value has."""
    from formfit.models.field_values import CLASS_CODES, FieldValues

    rng = np.random.default_rng(3)
    pool = [c for c, _ in CASES if isinstance(c, str)] + [None]
    values = pd.Series([pool[i] for i in rng.integers(0, len(pool), 5000)], dtype="str")
    fv = FieldValues.factorize(values)
    expected = [CLASS_CODES[classify_value(v)] for v in values]
    assert fv.classes.tolist() == expected
    usable = np.asarray(fv.classes == CLASS_CODES["usable"])
    counts = fv.counts(usable)
    assert int(counts.sum()) == int(usable.sum())
    assert {str(fv.uniques[i]): int(c) for i, c in enumerate(counts) if c} == \
        values[usable].value_counts().to_dict()


def test_encoded_levels_count_every_shown_lead_once() -> None:
    """Levels from factorized answers: a usable lead in its value's level (label: the most
    common spelling), blank and junk in their own; leads the form did not show get -1."""
    values = pd.Series(["Acme", " acme", "ACME", "acme", None, "Select", "Beta"] * 40,
                       dtype="str")
    classes = classify_series(values)
    shown = np.ones(len(values), dtype=bool)
    shown[-7:] = False
    enc = encode_field(values, classes, shown, shown, "categorical")
    assert enc.levels == ("acme", "Beta", "blank", "junk")
    assert np.bincount(enc.codes[enc.codes >= 0]).tolist() == [4 * 39, 39, 39, 39]
    assert (enc.codes[-7:] == -1).all()
