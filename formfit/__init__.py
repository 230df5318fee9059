"""formfit: what each lead-form field costs in submissions and is worth in won deals.

Library API (the CLI is a thin layer over these)::

    import formfit
    result = formfit.analyze(submissions="subs.csv", views="views.csv",
                             outcomes="deals.csv", forms="forms.yaml")
    result.to_frame()        # one row per field
    result.to_dict()         # the contract's JSON result
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("formfit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+local"

from formfit.api import analyze, load_inputs, render, simulate, validate  # noqa: E402
from formfit.errors import FormfitError  # noqa: E402

__all__ = ["FormfitError", "__version__", "analyze", "load_inputs", "render", "simulate",
           "validate"]
