"""Levels of a field's values: what the predictive models see, and what may be shown.

A field's raw answers become one level per lead: a value (rare ones pooled into "other"), a
numeric quantile bin, a length band of a free-text answer, "filled" for personal data, and
"blank" and "junk" as levels of their own. Display labels never carry the values of text or
personal fields. See :func:`encode_field`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from formfit.models.field_values import BLANK_CLASS, JUNK_CLASS, USABLE_CLASS, FieldValues
from formfit.models.values import min_level_size, normalise, parse_number
from formfit.personal import value_kind

OTHER, BLANK, JUNK, FILLED = "other", "blank", "junk", "filled"
SPECIAL_LEVELS: tuple[str, ...] = (OTHER, BLANK, JUNK)
MAX_MODEL_LEVELS = 30  # regular levels of a categorical field; the rest is pooled into "other"


@dataclass(frozen=True)
class Encoded:
    """A field's values as levels.

    ``codes`` holds one level index per row (-1 where the form did not show the field);
    ``levels`` names each model level; ``display`` is the label a level is shown under in
    ``win_rate_by_value`` (several model levels may share one: a text field's length bands are
    all shown as "filled"). For ``text`` and ``personal`` fields every display label is one of
    "filled", "junk", "blank": their values never leave this function. ``model_level[i]`` is the
    level that level ``i`` is counted as in IV and the models: itself, or, for a pooled "other",
    "blank" or "junk" level too small to estimate (fewer than :func:`min_level_size` leads),
    the largest level.
    """

    kind: str
    codes: np.ndarray
    levels: tuple[str, ...]
    display: tuple[str, ...]
    model_level: tuple[int, ...] = ()

    @cached_property
    def model_codes(self) -> np.ndarray:
        """``codes`` with small levels merged as ``model_level`` says (-1 stays -1)."""
        if not self.model_level:
            return self.codes
        lut = np.array([*self.model_level, -1], dtype=self.codes.dtype)
        out: np.ndarray = lut[self.codes]
        return out


def _fmt(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.4g}"


def _numeric_levels(nums: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Quantile bins (about five) of ``nums``; cut points from ``ref`` (the analysed leads)."""
    ref = ref[np.isfinite(ref)]
    if len(ref) == 0:
        ref = nums[np.isfinite(nums)]
    cuts = np.unique(np.quantile(ref, [0.2, 0.4, 0.6, 0.8], method="lower")) if len(ref) \
        else np.array([])
    lo_all = float(np.nanmin(nums)) if np.isfinite(nums).any() else 0.0
    cuts = cuts[cuts > lo_all] if len(cuts) else cuts
    bins = np.searchsorted(cuts, nums, side="right")
    integer = bool(np.all(np.mod(nums[np.isfinite(nums)], 1) == 0))
    labels: list[str] = []
    edges = [lo_all, *cuts.tolist()]
    for i, lo in enumerate(edges):
        last = i == len(edges) - 1
        if integer:
            if last:
                hi_obs = float(np.nanmax(nums))
                labels.append(_fmt(lo) if hi_obs == lo else f"{_fmt(lo)}+")
            else:
                hi = edges[i + 1] - 1
                labels.append(_fmt(lo) if hi <= lo else f"{_fmt(lo)}–{_fmt(hi)}")
        elif i == 0 and not last:
            labels.append(f"<{_fmt(edges[1])}")
        elif last:
            labels.append(f"≥{_fmt(lo)}")
        else:
            labels.append(f"{_fmt(lo)}–<{_fmt(edges[i + 1])}")
    return bins, labels


def encode_field(values: pd.Series, classes: pd.Series, shown: np.ndarray, judged: np.ndarray,
                 kind: str) -> Encoded:
    """:func:`encode_values` of a column of raw answers and their classes (``classify_series``)."""
    from formfit.models.field_values import CLASS_CODES

    fv = FieldValues.factorize(values)
    cls = classes.astype(object).map(CLASS_CODES).to_numpy(dtype=np.int8)
    return encode_values(fv, cls, shown, judged, kind)


def encode_values(fv: FieldValues, cls: np.ndarray, shown: np.ndarray, judged: np.ndarray,
                  kind: str) -> Encoded:
    """Turn a field's factorized answers into levels for the predictive model.

    ``cls`` holds each lead's value class (:data:`formfit.models.field_values.USABLE_CLASS`
    ...). Levels are decided on the analysed leads (``shown & judged``; all shown rows when
    none are judged), so pooling follows the sample the model sees. ``categorical``: a level
    per normalised value with at least :func:`min_level_size` leads (at most
    ``MAX_MODEL_LEVELS``), the rest pooled into "other". A value that holds an e-mail, a
    phone number or a person's name, in any of its spellings, keeps its level in the model
    but is shown as "other" (``display``), so a contact detail or a referrer's name never
    becomes a label (:func:`formfit.personal.value_kind` decides);
    ``numeric``: quantile bins; ``text``: "filled" split into length thirds; ``personal``:
    "filled"; ``constant``: its one value. Blank and junk answers are
    levels of their own everywhere. Every rule is applied once per distinct value.
    """
    n = len(fv.codes)
    shown = np.asarray(shown, dtype=bool)
    judged = np.asarray(judged, dtype=bool)
    ref = shown & judged if (shown & judged).any() else shown
    usable = (cls == USABLE_CLASS) & shown
    codes = np.full(n, -1, dtype=np.int64)
    levels: list[str] = []
    display: list[str] = []
    raw_codes = np.full(n, -1, dtype=np.int64)  # regular levels, before specials

    if kind in ("categorical", "constant"):
        uniq = fv.uniques  # as Python strings: not for personal fields (millions of e-mails)
        # a key per distinct value (its normalised spelling), and leads per key
        keys = [normalise(str(u)) for u in uniq]
        key_of, key_names = pd.factorize(pd.Series(keys, dtype=object))
        key_of = np.append(np.asarray(key_of, dtype=np.int64), -1)  # missing -> no key
        kcodes = key_of[fv.codes]
        counts = np.bincount(kcodes[ref & usable], minlength=len(key_names))
        limit = 1 if kind == "constant" else min_level_size(int(ref.sum()))
        order = sorted(range(len(key_names)), key=lambda i: (-counts[i], str(key_names[i])))
        uses = fv.counts(usable)
        kept: list[int] = []
        labels: list[str] = []  # each kept level's name in the model
        shown_as: list[str] = []  # and the label it is shown under
        for i in order:
            key = str(key_names[i])
            if counts[i] < limit or len(kept) >= MAX_MODEL_LEVELS or key == OTHER:
                continue
            if key in SPECIAL_LEVELS or key == FILLED:
                continue
            # the label: the most common spelling of the value among all shown rows
            spellings: dict[str, int] = {}
            for u in np.flatnonzero((key_of[:-1] == i) & (uses > 0)):
                s = str(uniq[u]).strip()
                spellings[s] = spellings.get(s, 0) + int(uses[u])
            kept.append(i)
            # a value holding an email, a phone or a person's name in any spelling (a
            # referrer, an owner, "Call me: +1 415 ...") is never a label: the model keeps
            # its level (a dropdown answer that merely looks like a name, "Kontakt Formular",
            # still informs the tests), and the table shows its leads under "other"
            if value_kind(key) is not None or any(value_kind(s) is not None for s in spellings):
                labels.append(f"<withheld {len(kept)}>")
                shown_as.append(OTHER)
                continue
            most = max(spellings.values())
            labels.append(min(s for s, c in spellings.items() if c == most))
            shown_as.append(labels[-1])
        remap = np.full(len(key_names) + 1, -2, dtype=np.int64)  # -2: pooled into other
        for j, i in enumerate(kept):
            remap[i] = j
        raw_codes = np.where(usable, remap[kcodes], -1)
        levels.extend(labels)
        display = list(shown_as)
    elif kind == "numeric":
        per_value = np.array([np.nan if (p := parse_number(str(u))) is None else p
                              for u in fv.uniques], dtype=float)
        nums = fv.per_lead(per_value, usable, np.nan)
        ok = usable & np.isfinite(nums)
        if ok.any():
            bins, labels = _numeric_levels(nums[ok], nums[ok & ref])
            raw_codes[ok] = bins
            levels, display = list(labels), list(labels)
        raw_codes[usable & ~ok] = -2  # a word in a numeric field: "other"
    elif kind == "text":
        per_value = np.array([len(str(u)) for u in fv.uniques], dtype=float)
        lengths = fv.per_lead(per_value, usable, np.nan)
        ref_len = lengths[usable & ref]
        cuts = np.unique(np.quantile(ref_len, [1 / 3, 2 / 3], method="lower")) \
            if len(ref_len) else np.array([])
        bands = np.searchsorted(cuts, lengths, side="right")
        names = ["filled (short)", "filled (medium)", "filled (long)"][: len(cuts) + 1] \
            if len(cuts) else ["filled"]
        raw_codes[usable] = bands[usable]
        levels, display = list(names), [FILLED] * len(names)
    else:  # personal
        raw_codes[usable] = 0
        levels, display = [FILLED], [FILLED]

    codes[usable] = raw_codes[usable]
    k = len(levels)
    if (raw_codes == -2).any():
        codes[raw_codes == -2] = k
        levels.append(OTHER)
        display.append(OTHER)
        k += 1
    for name, cls_code in ((BLANK, BLANK_CLASS), (JUNK, JUNK_CLASS)):
        mask = shown & (cls == cls_code)
        if mask.any():
            codes[mask] = k
            levels.append(name)
            display.append(name)
            k += 1
    counts = np.bincount(codes[ref & (codes >= 0)], minlength=k)
    model = list(range(k))
    if k > 1:
        limit = min_level_size(int(ref.sum()))
        largest = int(np.argmax(counts))
        for i, name in enumerate(levels):
            if name in SPECIAL_LEVELS and counts[i] < limit and i != largest:
                model[i] = largest
    # a few dozen levels at most: 2 bytes a lead, not 8 (every field's codes are held at once)
    return Encoded(kind=kind, codes=codes.astype(np.int16), levels=tuple(levels),
                   display=tuple(display), model_level=tuple(model))
