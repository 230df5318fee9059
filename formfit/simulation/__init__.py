"""Synthetic lead-form worlds with planted field effects and their exact answers.

``simulate_world(WorldParams(...))`` returns a :class:`World` in memory; ``write_world(out,
seed=...)`` writes it in the contract's formats (submissions.csv, views.csv, views_daily.csv,
outcomes.csv, forms.yaml) with ``truth.json``; ``formats=("csv", "parquet")`` adds the same
tables as Parquet. Same seed, same bytes.

What is planted (see ``design`` for the numbers):

- forms: ``demo-a..demo-d``, an A/B experiment ``demo`` with a 2x2 factorial over ``phone``
  and ``how_did_you_hear`` (planned equal ``traffic``; ``broken_split`` makes the realised
  split deviate, for sample-ratio-mismatch checks); ``pricing``, whose field set changes twice
  (``versions`` with ``since``: ``timeline`` removed, later ``job_title`` and ``seniority``
  removed together, so those two are aliased); ``newsletter``, never changed (a control for
  time trends); ``contact`` with an optional free-text ``message``.
- segments ``device`` and ``channel`` shift conversion (channel also shifts intent); they are
  columns of views and submissions. A common time trend, weekend dip and day shocks per
  (form group, day) move conversion.
- a latent intent per view drives both submitting and winning; friction hurts weak leads
  most, so removing a field raises conversion and lowers submitters' average intent.
- ``phone`` has routing value (sales win more with a callable number): dropping it costs won
  deals. ``how_did_you_hear`` is noise that only costs submissions: dropping it gains deals.
  company_size, budget, seniority and timeline values predict winning; how_did_you_hear,
  job_title, message and names do not.
- ``email`` and ``consent`` are protected in the forms catalogue; ``timeline`` (pricing v1)
  and ``message`` (contact) are optional.
- data mess: junk ("Select", "please select", "asdf", "test", "n/a", "0000000000"), mixed-case
  emails with stray spaces (the lead key; no lead_id), exact duplicate export rows, repeat
  submissions by earlier leads on later days, fake personal data (no real people).
- deals: 0-2 per lead; wins close 20..horizon_days after submission, losses 3..45 days, so
  deals are still open at ``as_of``; amounts are lognormal for won deals.

``truth.json`` holds, per field, the drop effect the estimators target, computed from the
generating probabilities over the simulated views (see ``truth``), with its evidence label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from formfit.simulation.design import WorldParams
from formfit.simulation.world import World, simulate_world
from formfit.simulation.write import FILES, FORMATS, file_names, write_files

__all__ = ["FILES", "FORMATS", "World", "WorldParams", "simulate_world", "write_world"]


def write_world(out: Path, *, seed: int, views: int | None = None,
                params: WorldParams | None = None,
                formats: Sequence[str] = ("csv",)) -> dict[str, Any]:
    """Simulate a world and write it to directory ``out``.

    ``seed`` always wins; ``views`` (if given) overrides ``params.n_views``; other settings come
    from ``params`` (default ``WorldParams()``); ``formats`` picks the table files (``csv``,
    ``parquet``, or both). Returns ``{"files": [...], "out": str, "counts": {...}}``.
    """
    file_names(formats)  # a bad format fails before minutes of simulation
    base = params or WorldParams()
    p = replace(base, seed=seed, n_views=base.n_views if views is None else int(views))
    world = simulate_world(p)
    files = write_files(world, Path(out), formats)
    return {"files": files, "out": str(out), "counts": world.truth["counts"]}
