"""The bundled sample data (a simulated world with known answers) used by `formfit demo`."""

from __future__ import annotations

from pathlib import Path

from formfit.config import Settings
from formfit.errors import InputError

SAMPLE_SEGMENTS = ("device", "channel")


def sample_dir() -> Path:
    """Where sample_data/ lives: beside the package in a checkout or editable install."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "sample_data", Path.cwd() / "sample_data"):
        if (candidate / "submissions.csv").exists():
            return candidate
    raise InputError(
        "the bundled sample_data/ folder was not found.",
        "Run formfit demo from a checkout of the formfit repository (pip install -e .), or "
        "make a world with `formfit simulate --out sample_data`.",
    )


def sample_settings() -> Settings:
    """Settings that analyze the bundled sample world the way its README describes."""
    d = sample_dir()
    return Settings(
        submissions=d / "submissions.csv",
        views=d / "views.csv",
        outcomes=d / "outcomes.csv",
        forms=d / "forms.yaml",
        segments=SAMPLE_SEGMENTS,
    )
