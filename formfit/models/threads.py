"""BLAS threads for the model fits: one.

The designs formfit fits are small (cells x columns): a second BLAS thread gains little on an
idle machine, and on a busy one OpenBLAS's spin-waiting made a 7,000 x 70 ``X'WX`` 40 times
slower (0.19 s against 0.005 s on a loaded 2-core machine), and a whole analysis several times
slower. threadpoolctl sets the limit for every BLAS loaded (numpy's and scipy's) and restores it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
WORKERS = 2  # the machines formfit is measured on have two cores; more threads only contend


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the BLAS libraries with one thread for the duration, then restore them."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def in_threads(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[fn(x) for x in items]``, two at a time: for steps whose work is mostly in Arrow,
    numpy or DuckDB, which let go of the interpreter while they run. Results in order; the
    first error is raised."""
    from concurrent.futures import ThreadPoolExecutor

    if len(items) < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="formfit") as pool:
        return list(pool.map(fn, items))
