"""What `formfit check` found: frozen findings, each a policy rule at a level with its numbers.

The gate (:mod:`formfit.gate`) decides; renderers (:mod:`formfit.renderers.check`) turn each
finding's rule and details into a sentence, in every format. A finding points at a line of the
head forms file, so that CI can annotate the change where it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from formfit.errors import EXIT_FAIL, EXIT_OK
from formfit.results import clean

Level = Literal["error", "warning", "notice"]
LEVELS: tuple[Level, ...] = ("error", "warning", "notice")
CHECK_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Finding:
    """One change (or one fact about the evidence) judged by one policy rule."""

    rule: str  # e.g. removed_keep, added_field, evidence_stale (see formfit.gate.RULES)
    level: Level
    form_id: str | None = None
    fields: tuple[str, ...] = ()
    file: str | None = None  # head forms file, repository-relative; None for stdin
    line: int | None = None  # 1-based line in that file
    details: Mapping[str, Any] = field(default_factory=dict)  # names and numbers

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = clean({"rule": self.rule, "level": self.level,
                                     "form_id": self.form_id, "fields": list(self.fields),
                                     "file": self.file, "line": self.line,
                                     "details": dict(self.details)})
        return out


@dataclass(frozen=True)
class EvidenceInfo:
    """The facts about the evidence file that every format prints."""

    source: str
    as_of: str | None
    age_days: int | None
    schema_version: int
    formfit_version: str
    horizon_days: int | None
    margin: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "as_of": self.as_of, "age_days": self.age_days,
                "schema_version": self.schema_version,
                "formfit_version": self.formfit_version,
                "horizon_days": self.horizon_days, "margin": self.margin}


@dataclass(frozen=True)
class CheckReport:
    """The outcome of one `formfit check`: findings, the policy used, the exit code."""

    base: str
    head: str
    evidence: EvidenceInfo
    findings: tuple[Finding, ...]
    policy: Mapping[str, Level | Literal["off"]]
    strict: bool = False
    max_age_days: int = 90
    checked_on: str = ""  # the date evidence age is measured at (YYYY-MM-DD)
    formfit_version: str = ""

    @property
    def exit_code(self) -> int:
        """1 when any finding is an error (the change breaks the policy), else 0."""
        return EXIT_FAIL if any(f.level == "error" for f in self.findings) else EXIT_OK

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(LEVELS, 0)
        for f in self.findings:
            out[f.level] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": CHECK_SCHEMA_VERSION, "base": self.base, "head": self.head,
                "evidence": self.evidence.to_dict(), "strict": self.strict,
                "max_age_days": self.max_age_days, "checked_on": self.checked_on,
                "exit_code": self.exit_code, "counts": self.counts(),
                "policy": dict(self.policy),
                "findings": [f.to_dict() for f in self.findings]}

    def __repr__(self) -> str:
        c = self.counts()
        return (f"<CheckReport: {c['error']} errors, {c['warning']} warnings, "
                f"{c['notice']} notices, exit {self.exit_code}>")
