"""The model fits run on one BLAS thread, scipy's OpenBLAS included (formfit.models.threads).

scipy ships its own OpenBLAS, loaded by the first ``import scipy.linalg``; a limit set before
that import did not reach it, and the GLM fits' Cholesky factorisations ran on every core
(8.9 ms against 1.0 ms for a 238 x 238 factor on a loaded 2-core machine; 5 years of daily
data spent 26 s of CPU in the win models). Each run is a fresh interpreter, so that scipy is
not already loaded by other tests. The world spans three years of daily views with forms
whose fields changed over time: 150+ period columns a block, the case that was slow.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_dimensions.py"

RUN = """
import json, sys
from threadpoolctl import threadpool_info
if sys.argv[2] == "scipy-first":
    import scipy.linalg  # the reference: every BLAS loaded before the limit is set
import formfit
import formfit.analysis as analysis
assert sys.argv[2] == "scipy-first" or "scipy" not in sys.modules
threads = []
run = analysis.run_analysis
def run_spied(*args, **kwargs):
    # inside the limit, where the analysis first imports scipy (importing the GLM module
    # earlier would load scipy before the limit and hide the bug)
    import formfit.models.effects as effects
    fit = effects.fit_cells
    def spy(*a, **k):
        threads.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        return fit(*a, **k)
    effects.fit_cells = spy
    return run(*args, **kwargs)
analysis.run_analysis = run_spied
d = sys.argv[1]
result = formfit.analyze(f"{d}/submissions.csv", views=f"{d}/views.csv",
                         outcomes=f"{d}/outcomes.csv", forms=f"{d}/forms.yaml",
                         as_of="2024-05-01")
print(json.dumps({"threads": sorted(set(threads)), "fits": len(threads),
                  "result": result.to_json()}))
"""


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_dimensions", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def long_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("long_world")
    args = argparse.Namespace(
        views=30_000, conversion=0.1, forms=3, versions=3, days=3 * 365, segment_levels=1,
        fields=8, fields_per_form=4, freetext=0, deals_per_lead=2, subs_per_email=1,
        experiments=1, versioned=1.0, seed=3)
    _bench().write_world(args, out)
    return out


def _analyze(world: Path, mode: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", RUN, str(world), mode], capture_output=True,
                          text=True, timeout=600, cwd=world)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out: dict[str, object] = json.loads(proc.stdout)
    return out


def test_every_fit_runs_on_one_blas_thread_and_numbers_match(long_world: Path) -> None:
    lazy = _analyze(long_world, "lazy")  # as the CLI runs: scipy not loaded before analyze
    assert lazy["fits"], "no model was fitted: the world no longer exercises the fits"
    assert lazy["threads"] == [1]
    reference = _analyze(long_world, "scipy-first")
    assert reference["threads"] == [1]
    assert lazy["result"] == reference["result"]
    result = json.loads(str(lazy["result"]))
    periods = [c for b in result["models"]["conversion"]["blocks"] for c in b["columns"]
               if c.startswith("period:")]
    assert len(periods) > 150  # the long span reached the design
