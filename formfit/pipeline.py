"""The pipeline: inputs -> results. (``run_analysis`` joins this module later.)"""

from __future__ import annotations

from typing import Any

from formfit.config import Settings
from formfit.inputs import Inputs
from formfit.results import ValidationResult


def validation_result(inputs: Inputs, settings: Settings) -> ValidationResult:
    """What `formfit validate` reports: row accounting, forms and fields seen, warnings."""
    from formfit import __version__

    forms: list[dict[str, Any]] = []
    for form_id in sorted(inputs.forms.forms):
        spec = inputs.forms.forms[form_id]
        forms.append({
            "form_id": form_id,
            "experiment": spec.experiment,
            "traffic": spec.traffic,
            "versions": [{"since": v.since.isoformat() if v.since else None,
                          "fields": list(v.fields), "optional": list(v.optional)}
                         for v in spec.versions],
        })
    return ValidationResult(
        formfit_version=__version__,
        settings=settings.to_dict(),
        inputs={role: acc.to_dict() for role, acc in inputs.accounting.items()},
        forms=tuple(forms),
        fields=tuple(inputs.fields),
        forms_inferred=inputs.forms.inferred,
        warnings=tuple(n.to_dict() for n in inputs.notices),
    )
