"""Write a world to files: byte-identical for the same seed (sorted rows, text-formatted
numbers, no timestamps)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from formfit.errors import UsageError

FILES = ("submissions.csv", "views.csv", "views_daily.csv", "outcomes.csv", "forms.yaml",
         "truth.json")


def _csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_files(world: Any, out: Path) -> list[str]:
    """Write ``world`` (a ``World``) into directory ``out``; return the file names written."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a directory.",
                         "Give a directory (it is created if missing).")
    out.mkdir(parents=True, exist_ok=True)
    _csv(world.submissions, out / "submissions.csv")
    _csv(world.views, out / "views.csv")
    _csv(world.views_daily, out / "views_daily.csv")
    _csv(world.outcomes, out / "outcomes.csv")
    header = (f"# formfit simulate --seed {world.params.seed} --views {world.params.n_views}: "
              "the planted world's form configuration.\n")
    body = yaml.safe_dump(world.forms, sort_keys=False, default_flow_style=None, width=100,
                          allow_unicode=True)
    (out / "forms.yaml").write_text(header + body, encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(world.truth, indent=2, allow_nan=False) + "\n",
                                    encoding="utf-8")
    return list(FILES)
