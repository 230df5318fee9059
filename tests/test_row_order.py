"""Determinism: the same rows in any order give byte-identical JSON.

A simulated world gets ties in "first submission" (one lead, two submissions in the same second
with different answers); its submissions, views and deals are then shuffled. The analysed
submission is chosen by the row's content, so every order gives the same IVs, q-values,
intervals and reasons.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from formfit.api import analyze, render, simulate


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_shuffled_rows_give_byte_identical_json(tmp_path: Path) -> None:
    world = tmp_path / "world"
    simulate(world, seed=4, views=4000)
    subs = _read(world / "submissions.csv")
    # ties: 40 leads submit twice in the same second with other answers
    twins = subs.iloc[:40].copy()
    twins["company_size"] = np.where(twins["company_size"] == "1-10", "1000+", "1-10")
    twins["budget"] = ""
    subs = pd.concat([subs, twins], ignore_index=True)
    tables = {"submissions.csv": subs, "outcomes.csv": _read(world / "outcomes.csv"),
              "views.csv": _read(world / "views.csv")}
    run = tmp_path / "run"  # one path for every order: file names are in the JSON
    run.mkdir()
    (run / "forms.yaml").write_bytes((world / "forms.yaml").read_bytes())
    outputs = []
    for seed in (None, 1, 2):
        for name, df in tables.items():
            rows = df if seed is None else df.sample(frac=1.0, random_state=seed)
            rows.to_csv(run / name, index=False)
        result = analyze(run / "submissions.csv", run / "views.csv", run / "outcomes.csv",
                         run / "forms.yaml")
        outputs.append(render(result, "json"))
    excluded = json.loads(outputs[0])["inputs"]["submissions"]["excluded"]
    assert excluded["repeat_submission"] >= 40  # the ties are there, and left out
    assert outputs[1] == outputs[0]
    assert outputs[2] == outputs[0]
