"""FormsConfig answers 'which fields does this form version show' in one place."""

from __future__ import annotations

from datetime import date

from formfit.inputs import FormsConfig, FormSpec, FormVersion

FORMS = FormsConfig(forms={
    "pricing": FormSpec("pricing", (FormVersion(None, ("email", "budget")),
                                    FormVersion(date(2025, 7, 1), ("email",)))),
}, fields={})


def test_fields_at_versions_and_unknowns() -> None:
    assert FORMS.fields_at("pricing", 0) == ("email", "budget")
    assert FORMS.fields_at("pricing", 1) == ("email",)
    assert FORMS.fields_at("pricing", -1) == ()  # a form the config does not know
    assert FORMS.fields_at("pricing", 2) == ()
    assert FORMS.fields_at("nope", 0) == ()


def test_shown_mask() -> None:
    mask = FORMS.shown_mask(["pricing", "pricing", "nope"], [0, 1, 0], "budget")
    assert mask.tolist() == [True, False, False]
