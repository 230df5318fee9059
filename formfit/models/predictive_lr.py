"""Likelihood-ratio tests of each field's levels, given the other fields and the form.

Estimand: for a field f, whether its levels carry information about winning *beyond* the other
fields' features and the form the lead came through. Model, on judged leads whose form showed f:

    logit P(won) = form fixed effect + sum over other fields g of [levels of g]
                   (+ [levels of f] in the full model)

Levels are those of :func:`formfit.models.values.encode_field` (blank and junk included); a
covariate field that the lead's form did not show gets a "not shown" level. The statistic
``2 (l_full - l_reduced)`` is referred to chi-square with ``df = rank(full) - rank(reduced)``.
Aliased columns are dropped by QR with column pivoting before fitting, separately in each
model, so a field whose levels are a function of other fields gets ``df = 0`` (no test; its
value given the rest is nil). Designs are aggregated to distinct covariate patterns (cells)
first: the likelihood is the same as one row per lead.

Separation and small samples: when a field has a level with no wins or no losses, fewer than
:data:`SMALL` wins or losses, or when the maximum-likelihood fit runs off to infinity, both the
full and the reduced model are fitted by Firth's penalised likelihood and the test compares
penalised log-likelihoods (the penalised likelihood-ratio test of Heinze & Schemper 2002, as
R's ``logistf``). Numbers are then finite and the test keeps close to its nominal size.

Assumptions: leads are independent given their features; the chi-square reference is
asymptotic (with levels of at least ~30 leads, as pooling ensures on large data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy import stats as sps

from formfit.cells.groups import sorted_groups
from formfit.models.firth import LogitFit, fit_logit
from formfit.models.threads import single_threaded_blas
from formfit.models.value_levels import Encoded
from formfit.models.values import min_level_size
from formfit.parallel import in_threads

SMALL = 20  # fewer wins or losses than this: SMALL_SAMPLE, penalised fit
# cells x columns of one design beyond which the LR test runs on a random subsample of leads
# (seeded, so results are reproducible): 25M float64 is 200 MB
MAX_DESIGN_ENTRIES = 25_000_000


@dataclass(frozen=True)
class LRTest:
    statistic: float | None
    df: int
    p_value: float | None
    firth: bool  # penalised (Firth) likelihoods were compared
    diverged: bool  # the ML fit of the full model ran off to infinity (separation)
    leads_used: int = 0  # leads in the test (fewer than the sample when subsampled)
    leads_sampled: int = 0  # leads in the field's sample


def independent_columns(x: np.ndarray, rtol: float = 1e-9, n_rows: int | None = None,
                        absolute: bool = False) -> np.ndarray:
    """Indices (sorted) of a maximal set of linearly independent columns, by pivoted QR.

    ``n_rows``: the row count of the matrix ``x`` stands for (when ``x`` is its R factor), for
    the tolerance ``rtol * max(n_rows, p) * |r_11|`` (``absolute``: without ``|r_11|``, for
    columns already scaled to unit norm before a projection).
    """
    if x.shape[1] == 0:
        return np.zeros(0, dtype=np.int64)
    _, r, piv = linalg.qr(x, mode="economic", pivoting=True, check_finite=False)
    d = np.abs(np.diag(r))
    if d.size == 0 or d[0] == 0:
        return np.zeros(0, dtype=np.int64)
    tol = rtol * max(n_rows or 0, *x.shape) * (1.0 if absolute else d[0])
    rank = int(np.sum(d > tol))
    return np.sort(piv[:rank]).astype(np.int64)


def _cells(code_cols: list[np.ndarray], y: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Distinct rows of the code matrix, with trials and wins per distinct row."""
    mat = np.column_stack(code_cols) if code_cols else np.zeros((len(y), 0), dtype=np.int64)
    if mat.shape[1] == 0:
        return mat[:1], np.array([float(len(y))]), np.array([float(y.sum())])
    radix = mat.max(axis=0) + 1
    if float(np.prod(radix.astype(float))) < 2.0 ** 62:
        key = np.zeros(len(y), dtype=np.int64)
        for j in range(mat.shape[1]):
            key = key * int(radix[j]) + mat[:, j]
        # hash first (millions of leads, a few thousand cells), then the cells in key order
        # (as np.unique would give them: the fits see the same rows in the same order)
        inv, first = sorted_groups(key)
        uniq = mat[first]
    else:
        uniq, inv = np.unique(mat, axis=0, return_inverse=True)
    inv = inv.ravel()
    trials = np.bincount(inv, minlength=len(uniq)).astype(float)
    wins = np.bincount(inv, weights=y, minlength=len(uniq))
    return uniq, trials, wins


def _one_hot(codes: np.ndarray, trials: np.ndarray, min_size: float) -> np.ndarray:
    """Indicators for every level with at least ``min_size`` leads except the largest (the
    reference); smaller levels (a covariate's "not shown" on a form with a handful of leads)
    are counted with the reference rather than left to separate."""
    k = int(codes.max()) + 1 if len(codes) else 0
    weight = np.bincount(codes, weights=trials, minlength=k)
    present = np.flatnonzero(weight >= min_size)
    if len(present) <= 1:
        return np.zeros((len(codes), 0))
    ref = int(present[np.argmax(weight[present])])
    cols = [c for c in present if c != ref]
    out = np.zeros((len(codes), len(cols)))
    pos = {c: j for j, c in enumerate(cols)}
    lut = np.full(k, -1, dtype=np.int64)
    for c, j in pos.items():
        lut[c] = j
    col = lut[codes]
    rows = np.flatnonzero(col >= 0)
    out[rows, col[rows]] = 1.0
    return out


def _pool_small_forms(forms: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    """Form codes with forms of fewer than ``min_level_size`` sampled leads pooled into one
    (a form with a handful of leads would otherwise separate); None when one form is left."""
    if forms is None:
        return None
    codes = np.asarray(forms, dtype=np.int64).copy()
    counts = np.bincount(codes[rows], minlength=int(codes.max()) + 1)
    small = counts < min_level_size(len(rows))
    if small.any():
        codes = np.where(small[codes], len(counts), codes)
    return codes if len(np.unique(codes[rows])) > 1 else None


class _Group:
    """One analysis sample (judged leads showing the tested fields) and its cell design."""

    def __init__(self, rows: np.ndarray, y: np.ndarray, forms: np.ndarray | None,
                 blocks: Sequence[str], encoded: Mapping[str, Encoded]) -> None:
        code_cols: list[np.ndarray] = []
        names: list[str] = []
        if forms is not None:
            code_cols.append(forms[rows])
            names.append("__form__")
        for b in blocks:
            enc = encoded[b]
            c = enc.model_codes[rows]
            code_cols.append(np.where(c < 0, len(enc.levels), c))  # not shown on this form
            names.append(b)
        uniq, self.trials, self.wins = _cells(code_cols, y[rows])
        min_size = float(min(min_level_size(len(rows)), 10))
        parts = [np.ones((len(self.trials), 1))]
        self.block_cols: dict[str, np.ndarray] = {}
        start = 1
        for j, name in enumerate(names):
            part = _one_hot(uniq[:, j], self.trials, min_size)
            parts.append(part)
            self.block_cols[name] = np.arange(start, start + part.shape[1])
            start += part.shape[1]
        self.x = np.hstack(parts)
        # X = Q R: R's columns have the same dependencies as X's, at p x p cost per subset
        self.r = np.asarray(linalg.qr(self.x, mode="r", check_finite=False)[0])
        self._fits: dict[tuple[tuple[int, ...], tuple[int, ...] | None], LogitFit] = {}

    def columns(self, blocks: frozenset[str]) -> np.ndarray:
        cols = [np.array([0])] + [self.block_cols[b] for b in sorted(blocks)
                                  if b in self.block_cols]
        return np.concatenate(cols).astype(np.int64)

    def select(self, blocks: frozenset[str],
               added: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Independent columns of ``blocks`` (reduced model), and those plus the columns of
        ``added`` that are independent of them (full model): so the full model nests the
        reduced one exactly and ``df`` is the rank the added field brings."""
        n = len(self.trials)
        cols = self.columns(blocks)
        red = cols[independent_columns(self.r[:, cols], n_rows=n)]
        if added is None or added not in self.block_cols or not len(self.block_cols[added]):
            return red, red
        new = self.block_cols[added]
        q, _ = np.linalg.qr(self.r[:, red])
        resid = self.r[:, new] - q @ (q.T @ self.r[:, new])
        scale = np.linalg.norm(self.r[:, new], axis=0)
        resid = resid / np.where(scale > 0, scale, 1.0)
        keep = new[independent_columns(resid, n_rows=n, absolute=True)]
        return red, np.sort(np.concatenate([red, keep]))

    def fit(self, cols: np.ndarray, firth: bool, penalty: np.ndarray | None = None,
            warm: tuple[LogitFit, np.ndarray] | None = None) -> LogitFit:
        """ML or Firth fit on ``cols``; ``penalty``: the columns of the full model whose
        information makes the Firth penalty of a restricted fit."""
        # ML fits ignore the penalty; Firth fits without one use their own columns
        pen = tuple(int(c) for c in (penalty if penalty is not None else cols))
        key = (tuple(int(c) for c in cols), pen if firth else None)
        if key not in self._fits:
            beta0 = None
            if warm is not None:
                prev_fit, prev_cols = warm
                where = {int(c): i for i, c in enumerate(prev_cols)}
                beta0 = np.array([prev_fit.beta[where[int(c)]] if int(c) in where else 0.0
                                  for c in cols])
                if not np.all(np.isfinite(beta0)) or np.max(np.abs(beta0), initial=0) > 10:
                    beta0 = None
            px = self.x[:, penalty] if firth and penalty is not None else None
            self._fits[key] = fit_logit(self.x[:, cols], self.wins, self.trials, firth=firth,
                                        beta0=beta0, penalty_x=px)
        return self._fits[key]


def lr_tests(encoded: Mapping[str, Encoded], samples: Mapping[str, np.ndarray],
             y: np.ndarray, forms: np.ndarray | None, covariates: Sequence[str],
             firth_fields: set[str]) -> dict[str, LRTest]:
    """An LR test per field in ``samples`` (field -> boolean row mask of its analysis sample).

    ``covariates``: the fields adjusted for (a field is never adjusted for itself); ``forms``:
    integer form codes per row or None; ``firth_fields``: fields tested with penalised
    likelihoods from the start (separation or small samples seen in their levels).
    """
    with single_threaded_blas():
        return _lr_tests(encoded, samples, np.asarray(y, dtype=float), forms, covariates,
                         firth_fields)


def _lr_tests(encoded: Mapping[str, Encoded], samples: Mapping[str, np.ndarray],
              y: np.ndarray, forms: np.ndarray | None, covariates: Sequence[str],
              firth_fields: set[str]) -> dict[str, LRTest]:
    groups: dict[bytes, list[str]] = {}
    for f, mask in samples.items():
        groups.setdefault(np.packbits(mask).tobytes(), []).append(f)

    def test_group(fields: list[str]) -> dict[str, LRTest]:
        """The fields that share one analysis sample, fitted on one design."""
        out: dict[str, LRTest] = {}
        rows = np.flatnonzero(samples[fields[0]])
        n_sample = len(rows)
        blocks = list(dict.fromkeys([*covariates, *fields]))
        width = 2 + sum(len(encoded[b].levels) + 1 for b in blocks)
        if forms is not None:
            width += len(np.unique(forms[rows]))
        if n_sample * width > MAX_DESIGN_ENTRIES:
            keep = max(MAX_DESIGN_ENTRIES // width, 1000)
            rows = np.sort(np.random.default_rng(0).choice(rows, size=keep, replace=False))
        form_codes = _pool_small_forms(forms, rows)
        group = _Group(rows, y, form_codes, blocks, encoded)
        base = frozenset({"__form__", *covariates} & set(group.block_cols))
        base_cols, _ = group.select(base)
        base_ml = group.fit(base_cols, False)
        group_firth = base_ml.diverged  # separation among the shared covariates
        for f in fields:
            red_cols, full_cols = group.select(base - {f}, f)
            ml_full = group.fit(full_cols, False, warm=(base_ml, base_cols))
            diverged = ml_full.diverged
            firth = diverged or group_firth or f in firth_fields
            if firth:
                fit_full = group.fit(full_cols, True, penalty=full_cols)
                fit_red = group.fit(red_cols, True, penalty=full_cols,
                                    warm=(fit_full, full_cols))
            else:
                fit_full = ml_full
                fit_red = group.fit(red_cols, False, warm=(ml_full, full_cols))
            df = len(full_cols) - len(red_cols)
            stat = max(0.0, 2.0 * (fit_full.objective - fit_red.objective))
            if df <= 0 or not np.isfinite(stat):
                out[f] = LRTest(None, max(df, 0), None, firth, diverged, len(rows), n_sample)
            else:
                out[f] = LRTest(stat, df, float(sps.chi2.sf(stat, df)), firth, diverged,
                                len(rows), n_sample)
        return out

    # the groups are independent: two at a time (numpy's products let go of the interpreter)
    merged: dict[str, LRTest] = {}
    for part in in_threads(test_group, list(groups.values())):
        merged.update(part)
    return merged
