"""BLAS threads for the model fits: one.

The designs formfit fits are small (cells x columns): a second BLAS thread gains little on an
idle machine, and on a busy one OpenBLAS's spin-waiting made a 7,000 x 70 ``X'WX`` 40 times
slower (0.19 s against 0.005 s on a loaded 2-core machine), and a whole analysis several times
slower. threadpoolctl sets the limit for every BLAS loaded (numpy's and scipy's) and restores it.

It reaches only the libraries loaded when the limit is set: scipy ships its own OpenBLAS
(``libscipy_openblas``, beside numpy's ``libscipy_openblas64_``), loaded by the first
``import scipy.linalg``. The analysis imports scipy lazily, after the limit was set, so the
GLM fits' Cholesky factorisations ran on two threads: on a loaded 2-core machine a 238 x 238
``cho_factor`` took 8.9 ms instead of 1.0 ms, and 5 years of daily data (238 period columns a
block) spent 26 s of CPU in the win models. scipy.linalg is therefore loaded before the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the BLAS libraries with one thread for the duration, then restore them."""
    import scipy.linalg  # noqa: F401 - loads scipy's own OpenBLAS, so that the limit reaches it
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
