"""Progress on long work: one spinner line on stderr naming the stage that runs, and timings.

Stages are marked where the work happens (``with stage("Fitting conversion model"): ...``);
whether anything is shown is decided once, by :func:`tracking`: the CLI turns the display on
for a terminal (never with ``-q/--quiet`` or when stderr is redirected), and the environment
variable ``FORMFIT_STAGE_TIMES=path.json`` makes every stage's wall time, CPU time and peak
memory be written there (the benchmark reads it). Outside :func:`tracking`, :func:`stage` costs
nothing and prints nothing, so library calls stay quiet.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formfit.memory import release_memory

TIMES_ENV = "FORMFIT_STAGE_TIMES"


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _rss_mb() -> float | None:
    """Resident memory now (Linux only): with the peak, it tells memory held from memory
    passing through a stage."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


@dataclass
class _Tracker:
    status: Any = None  # a rich Status while the display is on
    records: list[dict[str, Any]] = field(default_factory=list)
    open_step: tuple[str, float, float] | None = None  # the step running: name, wall, cpu

    def record(self, name: str, wall: float, cpu: float) -> None:
        self.records.append({"stage": name, "wall_s": time.perf_counter() - wall,
                             "cpu_s": time.process_time() - cpu, "peak_rss_mb": _peak_rss_mb(),
                             "rss_mb": _rss_mb()})

    def close_step(self) -> None:
        if self.open_step is not None:
            self.record(*self.open_step)
            self.open_step = None


_CURRENT: ContextVar[_Tracker | None] = ContextVar("formfit_progress", default=None)


@contextmanager
def tracking(show: bool) -> Iterator[None]:
    """Show stages on stderr while the block runs (``show``), and write their timings to
    ``$FORMFIT_STAGE_TIMES`` when that is set."""
    times_path = os.environ.get(TIMES_ENV)
    if not show and not times_path:
        yield
        return
    tracker = _Tracker()
    token = _CURRENT.set(tracker)
    status = None
    try:
        if show:
            from rich.console import Console

            console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")) or None)
            status = console.status("Starting ...")
            status.start()
            tracker.status = status
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        yield
        tracker.close_step()
        tracker.record("total", start_wall, start_cpu)
    finally:
        if status is not None:
            status.stop()
        _CURRENT.reset(token)
        if times_path:
            rows = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                    for r in tracker.records]
            Path(times_path).write_text(json.dumps({"stages": rows}, indent=2) + "\n",
                                        encoding="utf-8")


def _line(name: str) -> Any:
    """The spinner's text: names carry file names, so never rich markup ('subs[/x].csv' raised
    MarkupError) and under the terminal escaping rule."""
    from rich.text import Text

    from formfit.renderers.escape import terminal

    return Text(terminal(f"{name} ..."))


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Mark a stage of the work (shown and timed only inside :func:`tracking`). When it ends,
    the memory it freed goes back to the OS (:func:`formfit.memory.release_memory`), so that
    the next stage's peak does not stand on the last one's garbage."""
    tracker = _CURRENT.get()
    if tracker is None:
        try:
            yield
        finally:
            release_memory()
        return
    tracker.close_step()
    if tracker.status is not None:
        tracker.status.update(_line(name))
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        release_memory()
        tracker.record(name, wall, cpu)


def step(name: str) -> None:
    """Start the next step of a sequence (it ends where the next step or stage starts): one
    line where a ``with stage(...)`` block would re-indent a long function. The step before
    ends as a stage does, by handing back the memory it freed."""
    release_memory()
    tracker = _CURRENT.get()
    if tracker is None:
        return
    tracker.close_step()
    if tracker.status is not None:
        tracker.status.update(_line(name))
    tracker.open_step = (name, time.perf_counter(), time.process_time())
