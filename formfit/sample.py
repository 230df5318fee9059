"""The bundled sample data (a simulated world with known answers) used by `formfit demo`."""

from __future__ import annotations

from pathlib import Path

from formfit.config import Settings
from formfit.errors import InputError

SAMPLE_SEGMENTS = ("device", "channel")


def sample_dir() -> Path:
    """Where the sample data live: package data in an installed wheel (formfit/sample_data);
    in a checkout that is a symlink to the repository's sample_data/, the source of truth."""
    here = Path(__file__).parent
    for candidate in (here / "sample_data", here.parent / "sample_data"):
        if (candidate / "submissions.csv").exists():
            return candidate
    raise InputError(
        "the bundled sample data were not found (formfit/sample_data is missing from this "
        "installation).",
        "Reinstall formfit (pip install --force-reinstall formfit), or make a world with "
        "`formfit simulate --out world` and analyze that.",
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
