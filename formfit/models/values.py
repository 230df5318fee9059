"""Field values: normalisation, placeholder/junk detection and field-kind detection.

What this module decides, per submitted value and per field, before any statistics:

* ``classify_value(text)`` -> ``"blank" | "junk" | "usable"``. *Blank* is no answer (missing or
  only whitespace). *Junk* is an answer that carries no information about the lead: a dropdown
  left on its placeholder ("Select", "-- please select --"), a filler ("n/a", "none", "test",
  "asdf"), punctuation only (".", "?"), repeated or sequential digits ("0000000000",
  "1234567890", "1111", also with phone separators), and keyboard mashes (a short unit repeated,
  "jkjkjk"; a run of a keyboard row, "qwert", "sdfgh"; four or more letters only from the home
  row with few vowels; five or more lower-case letters with no vowel at all). Everything else is
  *usable*. The rules err towards "usable": a real answer counted as junk would bias fill rates,
  and an all-capitals acronym ("KPMG", "NCSSM") is never treated as a mash.
* ``classify_series`` / ``normalise_series`` apply the same rules to a column by mapping over its
  *unique* values (a million rows with a few thousand distinct values take well under a second).
* ``detect_kind(name, values)`` -> one of ``categorical`` (a dropdown-like set of levels),
  ``numeric`` (mostly numbers with enough distinct values to bin), ``text`` (free text or high
  cardinality: only "filled / junk / blank" and the answer's length may be used), ``personal``
  (emails, phone numbers, names: only "filled / junk / blank" may be used) and ``constant``
  (at most one usable level).

Privacy: values of ``text`` and ``personal`` fields are personal data or may contain it. Nothing
here logs or returns them except as the caller's own data; the predictive model never lists them.
Personal fields are recognised by name (email, phone, mobile, tel, first/last/full name, ...) and
by content (most values look like e-mail addresses, phone numbers, or person names in a column of
mostly distinct capitalised words). A field named like a personal one whose values are a handful
of levels each repeated many times (``Do Not Email: Yes/No``, ``phone_type``) holds no personal
data and is treated by content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from formfit.personal import EMAIL_RE, looks_phone, name_tokens, personal_by_name

# re-exported: models import these names from here
__all__ = ["EMAIL_RE", "looks_phone", "personal_by_name"]

ValueClass = Literal["blank", "junk", "usable"]
Kind = Literal["categorical", "numeric", "text", "personal", "constant"]
KINDS: tuple[str, ...] = ("categorical", "numeric", "text", "personal", "constant")

# Placeholders and fillers, after normalise() (trimmed, case-folded, inner whitespace collapsed,
# surrounding brackets/dashes/stars/dots removed for the comparison).
PLACEHOLDERS: frozenset[str] = frozenset({
    "select", "please select", "select one", "select an option", "select option",
    "please select one", "please choose", "choose", "choose one", "choose an option",
    "pick one", "none selected", "nothing selected", "--", "-", "n/a", "na", "n.a.", "n.a",
    "none", "null", "nil", "nan", "undefined", "test", "testing", "test test", "tester",
    "asdf", "asdfg", "asdfgh", "qwerty", "qwert", "xxx", "xxxx", "abc", "abcd", "abcdef",
    "aaa", "zzz", "dummy", "fake", "lorem ipsum", "blah", "blah blah", "no answer",
    "not applicable", "#n/a", "#value!", "?", ".",
})

_WS = re.compile(r"\s+")
_STRIP_DECOR = re.compile(r"^[\s\-_*.<>\[\](){}|=~]+|[\s\-_*.<>\[\](){}|=~]+$")
_DECOR = frozenset(" -_*.<>[](){}|=~")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_LETTERS = re.compile(r"^[a-z]+$")
_JUNK_EMAIL_LOCAL = frozenset({"test", "asdf", "qwerty", "xxx", "abc", "a", "aa", "aaa", "x",
                               "none", "no", "null", "na", "fake", "dummy", "noemail",
                               "nomail", "no-email", "no_email"})
# domains that are typed, not owned ("example.com" is not here: it is a real answer in tests and
# demos, and reserved domains are better judged by whoever owns the data)
_EMAIL_JUNK_DOMAINS = ("test", "asdf", "xxx", "abc")
_HOME_ROW = frozenset("asdfghjkl")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
_VOWELS = frozenset("aeiouy")


def normalise(text: str | None) -> str:
    """Trim, case-fold and collapse inner whitespace: the key two spellings share."""
    if text is None:
        return ""
    return " ".join(str(text).split()).casefold()


def _is_digit_run(digits: str) -> bool:
    """Repeated ("0000", "1111") or counting digits typed to fill a field: "1234", "0123",
    "4321", "9876", "1234567890", or any run of six or more ("345678"). Short runs in the
    middle of the keypad ("2345") stay usable: they are plausible numbers."""
    if len(digits) < 4:
        return False
    if len(set(digits)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    if steps == {1}:
        return len(digits) >= 6 or digits[0] in "01"
    if steps == {9}:
        return len(digits) >= 6 or digits[0] == "9" or digits[-1] in "01"
    return False


def _is_repeated_unit(s: str) -> bool:
    """A string made of one short unit repeated: "jkjkjk", "abcabc", "aaaa"."""
    n = len(s)
    for unit in (1, 2, 3):
        if n >= max(3 if unit == 1 else 5, 2 * unit) and n % unit == 0 \
                and s[:unit] * (n // unit) == s:
            return True
    return False


def _is_keyboard_run(s: str) -> bool:
    """Four or more consecutive keys of one keyboard row, either direction: "qwer", "lkjh"."""
    if len(s) < 4:
        return False
    return any(s in row or s in row[::-1] for row in _ROWS)


def _is_mash(raw: str, s: str) -> bool:
    """Letters typed to get past a required field. ``raw`` keeps the case, ``s`` is normalised."""
    if not _LETTERS.match(s):
        return False
    if _is_repeated_unit(s) or _is_keyboard_run(s):
        return True
    if raw.strip().isupper():  # acronyms: "KPMG", "NCSSM"
        return False
    vowels = sum(ch in _VOWELS for ch in s) / len(s)
    if len(s) >= 4 and set(s) <= _HOME_ROW and vowels < 0.2:
        return True
    return len(s) >= 5 and vowels == 0.0


def classify_value(text: object) -> ValueClass:
    """Classify one submitted value as ``"blank"``, ``"junk"`` or ``"usable"``.

    Blank: missing (None, NaN, <NA>) or whitespace only. Junk: a placeholder or filler from
    :data:`PLACEHOLDERS` (also when decorated, e.g. "-- Select --"), punctuation only,
    repeated or sequential digits of length 4 or more (separators such as spaces, dashes,
    dots, brackets and a leading "+" are ignored: "(000) 000-0000" is junk), an e-mail address
    whose local part is a filler ("test@test.com"), or a keyboard mash (see the module
    docstring). Everything else is usable.
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):  # type: ignore[call-overload]
        return "blank"
    raw = str(text)
    s = normalise(raw)
    if not s:
        return "blank"
    if s in PLACEHOLDERS:
        return "junk"
    if s[0] in _DECOR or s[-1] in _DECOR:
        core = _STRIP_DECOR.sub("", s)
        if core in PLACEHOLDERS or not core:
            return "junk"
    if _PUNCT_ONLY.match(s):
        return "junk"
    if "@" in s:
        if not EMAIL_RE.match(s):
            return "usable"
        local, _, domain = s.partition("@")
        if local in _JUNK_EMAIL_LOCAL or domain.split(".")[0] in _EMAIL_JUNK_DOMAINS:
            return "junk"
        return "usable"
    if (s[0].isdigit() or s[0] in "+(") and _PHONE_CHARS.match(s):
        digits = re.sub(r"\D", "", s)
        if _is_digit_run(digits):
            return "junk"
    if _is_mash(raw, s):
        return "junk"
    return "usable"


def _as_object_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes), pd.Index(uniques)


_EMAIL_JUNK = re.compile(
    "^(?:" + "|".join(re.escape(x) for x in sorted(_JUNK_EMAIL_LOCAL)) + ")@"
    "|@(?:" + "|".join(_EMAIL_JUNK_DOMAINS) + r")\.")
VECTORISE_ABOVE = 5000  # distinct values beyond which e-mails are classified column-wise
CLASSIFY_SLICE = 1 << 18  # distinct values classified column-wise at a time


def take_values(uniques: Any, idx: np.ndarray) -> np.ndarray:
    """The distinct values at positions ``idx`` as an object array of str, from an object
    array or an Arrow string array (whose other values are never turned into Python)."""
    if isinstance(uniques, np.ndarray):
        out: np.ndarray = uniques[np.asarray(idx, dtype=np.int64)]
        return out
    import pyarrow as pa

    picked = uniques.take(pa.array(np.asarray(idx, dtype=np.int64)))
    return np.asarray(picked.to_pylist(), dtype=object)


def classify_uniques(uniques: Any) -> np.ndarray:
    """``classify_value`` of each distinct value (an object array of str, or an Arrow string
    array): an object array of "blank" / "junk" / "usable". With many distinct values (an
    e-mail column of a million leads), e-mail addresses are classified with vectorised string
    operations on Arrow (same rules), the rest value by value."""
    n = len(uniques)
    labels = np.empty(n, dtype=object)
    rest = np.ones(n, dtype=bool)
    if n > VECTORISE_ABOVE:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = (pa.array(uniques, type=pa.large_string()) if isinstance(uniques, np.ndarray)
               else uniques)

        def flags(x: object) -> np.ndarray:
            return np.asarray(pc.fill_null(x, False).to_numpy(zero_copy_only=False),
                              dtype=bool)

        # in slices: each holds two lowered copies of its strings (at 2.3M e-mails, the
        # whole column at once lifted the process's peak by 0.25 GB)
        for start in range(0, n, CLASSIFY_SLICE):
            part = arr.slice(start, CLASSIFY_SLICE)
            # pyarrow's RE2 directly: pandas' .str.fullmatch falls back to Python's re here
            low = pc.utf8_lower(pc.utf8_trim_whitespace(part))
            email = flags(pc.match_substring_regex(low, EMAIL_RE.pattern))
            junk = flags(pc.match_substring_regex(low, _EMAIL_JUNK.pattern))
            email &= flags(pc.string_is_ascii(low))  # ASCII: lower() == casefold()
            where = slice(start, start + len(part))
            # one str object shared by every label (np.where would make one per value:
            # 0.14 GB held at 2.3M e-mails)
            mine = labels[where]
            mine[email] = "usable"
            mine[email & junk] = "junk"
            rest[where] = ~email
    labels[rest] = [classify_value(u) for u in take_values(uniques, np.flatnonzero(rest))]
    return labels


def classify_series(values: pd.Series) -> pd.Series:
    """``classify_value`` over a column, computed once per distinct value (see
    :func:`classify_uniques`). Returns a ``str`` Series (same index) of "blank" / "junk" /
    "usable"."""
    codes, uniques = _as_object_codes(values)
    labels = np.append(classify_uniques(np.asarray(uniques, dtype=object)),
                       np.array(["blank"], dtype=object))
    return pd.Series(labels[codes], index=values.index, dtype="str")


def normalise_series(values: pd.Series) -> pd.Series:
    """``normalise`` over a column (by unique values); missing stays missing."""
    codes, uniques = _as_object_codes(values)
    keys = np.array([normalise(u) for u in uniques] + [None], dtype=object)
    out = pd.Series(keys[codes], index=values.index, dtype="str")
    return out


# --- numbers -----------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(text: str) -> float | None:
    """A number as typed: "1,200", "$1200", "1 200", "12.5%", "-3"; None when it is not one."""
    s = normalise(text).replace("\u00a0", " ")
    s = s.strip("$€£¥ ").removesuffix("%").strip()
    s = s.replace(" ", "")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _NUMBER.match(s):
        return None
    try:
        v = float(s)
    except ValueError:  # pragma: no cover - the regex admits only floats
        return None
    return v if np.isfinite(v) else None


def parse_numbers(values: pd.Series) -> pd.Series:
    """``parse_number`` over a column by unique values; float with NaN where not a number."""
    codes, uniques = _as_object_codes(values)
    nums = np.array([np.nan if (p := parse_number(str(u))) is None else p for u in uniques]
                    + [np.nan], dtype=float)
    return pd.Series(nums[codes], index=values.index, dtype=float)


# --- personal data -------------------------------------------------------------------------------

_PERSON_NAME = re.compile(r"^[A-Z][a-zà-ÿ'’\-]+(?:[ \-][A-Z][a-zà-ÿ'’\-]*\.?){0,3}$")


_TEXT_TOKENS = frozenset({"message", "messages", "comment", "comments", "note", "notes",
                          "remark", "remarks", "feedback", "description", "details", "inquiry",
                          "enquiry", "question", "questions", "anything", "help", "freetext",
                          "bio"})


def text_by_name(name: str) -> bool:
    """True when a column's name says it is a free-text box ("message", "comments", "How can
    we help?"): its answers may hold anything, so only filled / junk / blank are used."""
    return any(t in _TEXT_TOKENS for t in name_tokens(name))


def personal_by_content(usable: Iterable[str]) -> bool:
    """True when most usable values are e-mails, phone numbers or distinct person-like names."""
    vals = [str(v).strip() for v in usable]
    n = len(vals)
    if n == 0:
        return False
    emails = sum(bool(EMAIL_RE.match(v)) for v in vals)
    if emails >= 0.5 * n:
        return True
    phones = [v for v in vals if looks_phone(v)]
    if len(phones) >= 0.5 * n and len(set(phones)) >= 0.5 * len(phones):
        return True
    names = [v for v in vals if _PERSON_NAME.match(v)]
    return n >= 5 and len(names) >= 0.7 * n and len(set(names)) >= 0.5 * len(names)


# --- kinds ---------------------------------------------------------------------------------------


def min_level_size(n_leads: int) -> int:
    """Levels with fewer leads are pooled into "other".

    ``max(30, 1% of leads)``, but never more than a twentieth of the leads (at least 5), so that
    small data sets keep their main levels instead of pooling everything.
    """
    big = max(30, int(np.ceil(0.01 * n_leads)))
    small = max(5, n_leads // 20)
    return int(min(big, small))


def detect_kind(name: str, values: pd.Series, classes: pd.Series | None = None) -> Kind:
    """The kind of a field from its name and its submitted values (all shown submissions).

    ``classes`` may pass a precomputed :func:`classify_series` of ``values``.
    Order of the rules: personal (by name, unless its values are a few heavily repeated levels;
    or by content), text by name (message, comments, notes, "how can we help", ...), then
    constant (at most one distinct usable value), numeric (90% of usable
    values parse as numbers and at least 10 distinct numbers), text (long answers: median of 40
    characters or more; or high cardinality: more than 20 distinct values that are either half
    of all usable answers, or so fragmented that less than half of the answers fall in levels of
    :func:`min_level_size` leads), else categorical.
    """
    if classes is None:
        classes = classify_series(values)
    usable = values[classes == "usable"].astype("str")
    codes, uniques = _as_object_codes(usable)
    return detect_kind_codes(name, np.asarray(uniques, dtype=object), codes)


def detect_kind_codes(name: str, uniques: Any, usable_codes: np.ndarray) -> Kind:
    """:func:`detect_kind` on factorized answers: ``usable_codes`` holds, in row order, the
    code (into ``uniques``, the distinct raw values: an object array or an Arrow string
    array) of every usable answer of the field's shown submissions. Every rule is decided per
    distinct value and weighted by its count; a field personal by name never has its values
    turned into Python strings."""
    counts = np.bincount(usable_codes, minlength=len(uniques))
    present = np.flatnonzero(counts > 0)
    weights = counts[present]
    n = int(weights.sum())
    raw_distinct = len(present)
    few_repeated = (n >= 50 and raw_distinct <= 10 and raw_distinct / max(n, 1) < 0.05
                    and not personal_by_content(str(v) for v in take_values(uniques, present)))
    if personal_by_name(name) and not few_repeated:
        return "personal"
    if text_by_name(name):
        return "text"
    if raw_distinct >= 2 and not few_repeated:
        # judge content on values weighted by use, cheaply: a sample of up to 2,000 answers
        # (the same rows pandas' seeded Series.sample draws)
        picked = (usable_codes if n <= 2000 else
                  pd.Series(usable_codes).sample(2000, random_state=0).to_numpy())
        if personal_by_content(str(v) for v in take_values(uniques, picked)):
            return "personal"
    vals = take_values(uniques, present)
    keys = pd.Series([normalise(v) for v in vals], dtype=object)
    key_counts = pd.Series(weights).groupby(keys.to_numpy(), sort=False).sum()
    distinct = len(key_counts)
    if distinct <= 1:
        return "constant"
    nums = np.array([np.nan if (p := parse_number(str(v))) is None else p for v in vals],
                    dtype=float)
    finite = np.isfinite(nums)
    if n and float(weights[finite].sum()) / n >= 0.9 and len(np.unique(nums[finite])) >= 10:
        return "numeric"
    lengths = np.array([len(str(v)) for v in vals], dtype=np.int64)
    if n and float(np.median(np.repeat(lengths, weights))) >= 40:
        return "text"
    if distinct > 20:
        if distinct >= 0.5 * n:
            return "text"
        big = key_counts[key_counts >= min_level_size(n)].sum()
        if big < 0.5 * n:
            return "text"
    return "categorical"
