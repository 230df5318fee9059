"""BLAS threads for the model fits: one.

The designs formfit fits are small (cells x columns): a second BLAS thread gains little on an
idle machine, and on a busy one OpenBLAS's spin-waiting made a 7,000 x 70 ``X'WX`` 40 times
slower (0.19 s against 0.005 s on a loaded 2-core machine), and a whole analysis several times
slower. threadpoolctl sets the limit for every BLAS loaded (numpy's and scipy's) and restores it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the BLAS libraries with one thread for the duration, then restore them."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
