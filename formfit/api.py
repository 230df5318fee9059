"""The library API: each function is one step of the one-way flow, callable from Python.

files -> io.load_inputs -> analysis.run_analysis (aggregate, models, decide) -> results -> render
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formfit.config import Settings, build_settings, parse_map

if TYPE_CHECKING:
    from formfit.inputs import Inputs
    from formfit.results import AnalysisResult, ValidationResult

PathLike = str | Path


def _settings(settings: Settings | None, **kwargs: Any) -> Settings:
    if settings is not None:
        return settings
    config = kwargs.pop("config", None)
    column_map = kwargs.pop("column_map", None)
    if isinstance(column_map, dict):
        column_map = tuple(column_map.items())
    elif column_map and isinstance(next(iter(column_map)), str):
        column_map = parse_map(list(column_map))
    if kwargs.get("forms") is not None:
        kwargs["forms"] = Path(kwargs["forms"])
    for key in ("submissions", "views", "outcomes"):  # a path, or table:/sql: with an engine
        if isinstance(kwargs.get(key), Path):
            kwargs[key] = str(kwargs[key])
    if isinstance(kwargs.get("as_of"), str):
        kwargs["as_of"] = date.fromisoformat(kwargs["as_of"])
    if kwargs.get("segments") is not None:
        kwargs["segments"] = tuple(kwargs["segments"])
    return build_settings(config=Path(config) if config else None, column_map=column_map,
                          **kwargs)


def load_inputs(submissions: PathLike | None = None, *, settings: Settings | None = None,
                **kwargs: Any) -> Inputs:
    """Read, map, validate and account for every input. Raises FormfitError on bad input."""
    from formfit.io import load_inputs as _load

    return _load(_settings(settings, submissions=submissions, **kwargs))


def validate(submissions: PathLike | None = None, *, settings: Settings | None = None,
             **kwargs: Any) -> ValidationResult:
    """Load everything and return the accounting and warnings, without fitting models."""
    from formfit.analysis import validation_result

    s = _settings(settings, submissions=submissions, **kwargs)
    from formfit.io import load_inputs as _load

    return validation_result(_load(s), s)


def analyze(submissions: PathLike | None = None, *, settings: Settings | None = None,
            **kwargs: Any) -> AnalysisResult:
    """The whole job: per-field friction, qualification, net effect and verdict."""
    from formfit.analysis import run_analysis
    from formfit.io import load_inputs as _load
    from formfit.models.threads import single_threaded_blas
    from formfit.progress import tracking

    s = _settings(settings, submissions=submissions, **kwargs)
    with tracking(s.progress):
        inputs = _load(s)
        with single_threaded_blas():
            return run_analysis(inputs, s)


def simulate(out: PathLike, *, seed: int = 0, views: int | None = None,
             formats: Sequence[str] = ("csv",)) -> dict[str, Any]:
    """Write a synthetic world (inputs in the contract's formats plus truth.json) to ``out``;
    ``formats``: ``csv``, ``parquet`` or both."""
    from formfit.simulation import write_world

    return write_world(Path(out), seed=seed, views=views, formats=formats)


def render(result: AnalysisResult, fmt: str = "json") -> str:
    """Render a result as table, json, markdown or html text."""
    from formfit.renderers import render as _render

    return _render(result, fmt)
