"""formfit: what each lead-form field costs in submissions and is worth in won deals.

Library API (the CLI is a thin layer over these)::

    import formfit
    result = formfit.analyze("subs.csv", "views.csv", "deals.csv", "forms.yaml",
                             segments=["device"], margin="2%")
    result.to_frame()        # one row per field, indexed by field
    result["phone"]          # one field's FieldResult
    result.summary()         # a printed summary
    result.to_dict()         # the contract's JSON result

Each input may also be a pandas DataFrame or an Arrow table. Errors are FormfitError
subclasses (UsageError, InputError) with a message and a hint.
"""

from __future__ import annotations

from typing import Any

from formfit.api import (
    analyze,
    load_inputs,
    make_settings,
    render,
    simulate,
    validate,
)
from formfit.config import Margin, Settings
from formfit.errors import FormfitError, InputError, UnknownField, UsageError
from formfit.results import AnalysisResult, FieldResult, ValidationResult

__all__ = ["AnalysisResult", "FieldResult", "FormfitError", "InputError", "Margin", "Settings",
           "UnknownField", "UsageError", "ValidationResult", "__version__", "analyze",
           "load_inputs", "make_settings", "render", "simulate", "validate"]


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed metadata when asked for: importlib.metadata
    costs some 40 ms of every start (``formfit --help`` included)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("formfit")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0.0.0+local"
    raise AttributeError(f"module 'formfit' has no attribute {name!r}")
