"""Whether an engine the tests need is missing is a skip on a laptop and a failure in CI."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    """CI runs .ci/run with CI=true; there every engine must be installed."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, so that a missing install step shows."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)
