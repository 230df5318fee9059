"""A field's answers factorized once: one integer code per lead into its distinct raw values.

Every rule about values (blank / junk / usable, normalised keys, numbers, lengths) is decided
once per *distinct* value and reaches the leads through their codes, and every count the
predictive measures need is a count of leads per distinct value (a value cell). With 2.3M
leads and a dozen fields, that replaces dozens of passes over millions of strings by one
factorisation per field and integer arithmetic; the numbers are the same as value by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from formfit.cells.keys import factorize_text
from formfit.models.values import classify_uniques, take_values

#: value classes as small integers (``classify_value``'s "blank", "junk", "usable")
BLANK_CLASS, JUNK_CLASS, USABLE_CLASS = 0, 1, 2
CLASS_CODES: dict[str, int] = {"blank": BLANK_CLASS, "junk": JUNK_CLASS, "usable": USABLE_CLASS}
_PROBE = 20_000  # leading values that tell a mostly-distinct column from a few-level one


@dataclass(frozen=True)
class FieldValues:
    """``codes`` (int64, one per lead, -1 where the value is missing) into ``distinct`` (the
    distinct raw strings, an Arrow string array or an object array), and each distinct
    value's class. ``uniques`` turns them into Python strings, only when a rule needs them."""

    codes: np.ndarray
    distinct: Any
    unique_class: np.ndarray  # int8 per unique value, and a last entry (blank) for missing

    @cached_property
    def uniques(self) -> np.ndarray:
        """The distinct values as an object array of str."""
        return take_values(self.distinct, np.arange(len(self.distinct)))

    @classmethod
    def factorize(cls, values: pd.Series) -> FieldValues:
        """Factorize a column of raw answers (``str`` dtype, missing as NA) and classify each
        distinct value once."""
        import pyarrow as pa

        head = values.iloc[:_PROBE]
        if len(head) and head.nunique() > len(head) // 2:
            # mostly distinct (an e-mail or phone column): hashed on every core instead of
            # Arrow's one-thread text hash table, the same codes (formfit.cells.keys)
            codes, distinct = factorize_text(values)
            uniq = distinct.combine_chunks()
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            uniq = pa.array(uniques, type=pa.large_string())  # zero-copy from Arrow strings
        labels = classify_uniques(uniq)
        unique_class = np.append(
            np.where(labels == "usable", USABLE_CLASS,
                     np.where(labels == "junk", JUNK_CLASS, BLANK_CLASS)).astype(np.int8),
            np.int8(BLANK_CLASS))
        return cls(np.asarray(codes, dtype=np.int64), uniq, unique_class)

    @classmethod
    def missing(cls, n: int) -> FieldValues:
        """A field no lead answered (not a column of the data)."""
        return cls(np.full(n, -1, dtype=np.int64), np.array([], dtype=object),
                   np.array([BLANK_CLASS], dtype=np.int8))

    @property
    def classes(self) -> np.ndarray:
        """The class (int8) of each lead's answer; missing is blank."""
        out: np.ndarray = self.unique_class[self.codes]  # code -1 takes the last entry
        return out

    def counts(self, rows: np.ndarray) -> np.ndarray:
        """Leads per distinct value among the rows of the boolean mask ``rows``."""
        picked = self.codes[rows]
        out: np.ndarray = np.bincount(picked[picked >= 0], minlength=len(self.distinct))
        return out

    def per_lead(self, per_unique: np.ndarray, rows: np.ndarray, fill: float) -> np.ndarray:
        """A per-value number spread to the leads of ``rows`` (``fill`` elsewhere)."""
        table = np.append(np.asarray(per_unique, dtype=float), fill)
        out: np.ndarray = np.where(rows, table[self.codes], fill)
        return out
