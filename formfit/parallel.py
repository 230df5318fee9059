"""Work two at a time, where it lets go of the interpreter.

Arrow's compute kernels, numpy's products and DuckDB's queries release Python's global lock
while they run, so steps made mostly of them (one per column, per field, per group of tests)
can run side by side in threads: no processes, nothing copied, results in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
WORKERS = 2  # the machines formfit is measured on have two cores; more threads only contend


def in_threads(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[fn(x) for x in items]``, two at a time. Results in the order of ``items``; the
    first error is raised."""
    from concurrent.futures import ThreadPoolExecutor

    if len(items) < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="formfit") as pool:
        return list(pool.map(fn, items))
