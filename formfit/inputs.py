"""The loaded, validated inputs: the one interface between `formfit.io` and everything after it.

Column conventions (all frames have these names whatever the export called them):

``Inputs.submissions`` — one row per *analysed* lead (its first submission):
    ``lead_key``      str, the lead_id, else the normalised email (trimmed, lower-cased)
    ``form_id``       str
    ``submitted_at``  datetime64[ns] (NaT when the export has no dates)
    ``session_id``    str or <NA> (absent column when the export has none)
    segment columns   str, one per declared segment the submissions carry
    field columns     one per name in ``Inputs.fields``: the raw value (str), <NA> = blank

``Inputs.view_counts`` — views aggregated to (form_id, date, segments); None without a views file:
    ``form_id`` str, ``date`` datetime64[ns] (midnight), segment columns (str),
    ``views`` int64, ``submissions`` int64 (0 <= submissions <= views)
    Row-level and pre-aggregated exports both arrive here in this shape.

``Inputs.deals`` — one row per deal (opportunity); None without an outcomes file:
    ``lead_key`` str (joins to submissions.lead_key), ``outcome`` in {"won", "lost", "open"},
    ``amount`` float (NaN unknown), ``created_at`` / ``closed_at`` datetime64[ns] (NaT unknown)
    Deals whose key matches no analysed lead are excluded in accounting before they get here.
    A deal whose key cell names several analysed leads (a preset's split key column: HubSpot's
    ``Associated Contact IDs``) has one row per lead, its amount on the lead that submitted
    first and 0.0 on the others; accounting still counts it as one input row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class FormVersion:
    """The fields a form showed from ``since`` (inclusive) until the next version."""

    since: date | None  # None: from the beginning of the data
    fields: tuple[str, ...]
    optional: tuple[str, ...] = ()

    def required(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if f not in self.optional)


@dataclass(frozen=True)
class FormSpec:
    form_id: str
    versions: tuple[FormVersion, ...]  # sorted by since; the first may have since=None
    experiment: str | None = None
    traffic: float | None = None  # planned share of the experiment's views; None = equal split
    started: date | None = None  # the experiment is running since (``started:`` on a variant)

    def version_index(self, day: date | None) -> int:
        """Index of the version in force on ``day`` (the first one when day is unknown)."""
        idx = 0
        if day is None:
            return len(self.versions) - 1 if len(self.versions) > 1 else 0
        for i, v in enumerate(self.versions):
            if v.since is None or v.since <= day:
                idx = i
        return idx

    def all_fields(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for v in self.versions:
            seen.update(dict.fromkeys(v.fields))
        return tuple(seen)


@dataclass(frozen=True)
class ExperimentSpec:
    """Facts about one experiment beyond its variants: whether it is running, how it is sized.

    ``started``: the day it went live. A running experiment is watched as data accumulate, so
    its effects get always-valid intervals (confidence sequences) instead of fixed-horizon ones.
    ``n_star``: the confidence sequence's tuning size (total views in the experiment at which
    the sequence is tightest), fixed for the experiment's life; None = derived from the plan.
    ``fields``: for a designed experiment (``formfit design``), the fields whose presence it
    varies; its arms may differ in these and no others. ``planned_days``: its planned runtime.
    ``design``: what ``formfit design`` recorded about it (generators, resolution, ...), as is.
    """

    name: str
    started: date | None = None
    n_star: int | None = None
    fields: tuple[str, ...] = ()
    planned_days: int | None = None
    design: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    protected: str | None = None  # the reason it is protected, e.g. "legal: marketing consent"
    owner: str | None = None


@dataclass(frozen=True)
class FormsConfig:
    forms: Mapping[str, FormSpec]
    fields: Mapping[str, FieldSpec]  # catalogue; may name fields no form shows
    inferred: bool = False  # True: no forms file, fields inferred from submissions
    source: str | None = None  # file name the config came from
    # experiments with a `started:` date or an `experiments:` entry; others need none
    experiments: Mapping[str, ExperimentSpec] = field(default_factory=dict)

    def running(self, experiment: str | None) -> ExperimentSpec | None:
        """The experiment's spec when it is marked as running (has ``started``), else None."""
        spec = self.experiments.get(experiment) if experiment is not None else None
        return spec if spec is not None and spec.started is not None else None

    def shown_fields(self) -> tuple[str, ...]:
        """Every field any form shows, in order of first appearance."""
        seen: dict[str, None] = {}
        for spec in self.forms.values():
            seen.update(dict.fromkeys(spec.all_fields()))
        return tuple(seen)

    def fields_at(self, form_id: str, version: int) -> tuple[str, ...]:
        """The fields a form's version shows; none for an unknown form or version (-1)."""
        spec = self.forms.get(str(form_id))
        if spec is None or not 0 <= int(version) < len(spec.versions):
            return ()
        return spec.versions[int(version)].fields

    def shown_mask(self, form_ids: Iterable[Any], versions: Iterable[Any], field_name: str
                   ) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """For each (form_id, version) pair: does that form version show the field?"""
        f_codes, f_uniq = pd.factorize(pd.Series(form_ids).astype("str"))
        v_codes, v_uniq = pd.factorize(pd.Series(versions).astype("int64"))
        if len(f_codes) == 0:
            return np.zeros(0, dtype=bool)
        # a handful of form versions, each looked up once
        table = np.array([[field_name in self.fields_at(str(f), int(v)) for v in v_uniq]
                          for f in f_uniq], dtype=bool).reshape(len(f_uniq), len(v_uniq))
        return table[f_codes, v_codes]

    def is_protected(self, field_name: str) -> bool:
        spec = self.fields.get(field_name)
        return bool(spec and spec.protected)


@dataclass
class Accounting:
    """Where every row of one input went: ``rows_read == rows_used + sum(excluded)``."""

    rows_read: int = 0
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def rows_used(self) -> int:
        return self.rows_read - sum(self.excluded.values())

    def exclude(self, reason: str, n: int) -> None:
        if n:
            self.excluded[reason] = self.excluded.get(reason, 0) + int(n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "excluded": dict(sorted(self.excluded.items())),
        }


@dataclass(frozen=True)
class Notice:
    """A coded warning carried in the result and shown in every format."""

    code: str  # stable, UPPER_SNAKE, e.g. SAMPLE_RATIO_MISMATCH
    message: str  # one or two plain sentences
    details: Mapping[str, Any] = field(default_factory=dict)  # JSON-ready extras

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **dict(self.details)}


@dataclass
class Inputs:
    submissions: pd.DataFrame
    fields: tuple[str, ...]
    forms: FormsConfig
    view_counts: pd.DataFrame | None = None
    view_level: Literal["row", "aggregated"] | None = None
    deals: pd.DataFrame | None = None
    segments: tuple[str, ...] = ()
    accounting: dict[str, Accounting] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    as_of: date | None = None  # settings.as_of, else the latest date seen in any input
