"""Compare two JSON results: numbers with a tolerance, everything else exactly."""

from __future__ import annotations

import math
from typing import Any

TOL = 1e-9


def json_diffs(a: Any, b: Any, path: str = "$", *, tol: float = TOL,
               skip: frozenset[str] = frozenset()) -> list[str]:
    """Every place where ``a`` and ``b`` differ, as ``path: a != b`` lines.

    Numbers (int or float, not bool) are equal when within ``tol`` absolutely or relatively;
    None only equals None; strings, booleans, key sets and list lengths must match exactly.
    Keys named in ``skip`` are ignored at the top level only.
    """
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        ka = set(a) - (skip if path == "$" else set())
        kb = set(b) - (skip if path == "$" else set())
        for k in sorted(ka ^ kb):
            out.append(f"{path}.{k}: only in {'first' if k in ka else 'second'}")
        for k in sorted(ka & kb):
            out += json_diffs(a[k], b[k], f"{path}.{k}", tol=tol)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)} items"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += json_diffs(x, y, f"{path}[{i}]", tol=tol)
        return out
    if _number(a) and _number(b):
        if math.isclose(a, b, rel_tol=tol, abs_tol=tol):
            return []
        return [f"{path}: {a!r} != {b!r}"]
    if type(a) is type(b) and a == b:
        return []
    return [f"{path}: {a!r} != {b!r}"]


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def assert_same_result(reference: dict[str, Any], other: dict[str, Any]) -> None:
    """The engine run's JSON equals the file run's, ``settings`` aside (it names the inputs)."""
    diffs = json_diffs(reference, other, skip=frozenset({"settings"}))
    shown = "\n".join(diffs[:25])
    assert not diffs, f"{len(diffs)} differences from the file run:\n{shown}"
    # settings records the inputs, but what the inputs *gave* must agree too
    for key in ("maturity_days_used", "forms_inferred", "segments"):
        if key in reference.get("settings", {}) and key in other.get("settings", {}):
            assert reference["settings"][key] == other["settings"][key], key
