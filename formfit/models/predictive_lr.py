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

Fitting: the fields that share one analysis sample share one design and one base model (the
form and every covariate field), fitted by Newton's method (:func:`formfit.models.firth.
fit_logit`); for a covariate field that base model is the full model. Each field's reduced
model (the full one without the field's columns) is fitted to the same convergence criterion,
but by quasi-Newton steps (:meth:`_Group.fit_reduced`) from the full model's coefficients, with
the full model's information restricted to the reduced columns as the first Hessian, obtained
by a downdate of its inverse: a step costs two sparse products with the design rather than the
``cells x p^2`` of a Newton step, which with a hundred fields and more (designs of ~10^4 cells
by ~10^3 columns) made the tests take minutes. Penalised (Firth) fits, below, are Newton fits
throughout. When the base model has no aliased columns, neither has any model on a subset of
them: the pivoted QR then runs once per design, not once per field.

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
from scipy import linalg, sparse
from scipy import stats as sps
from scipy.special import expit

from formfit.cells.groups import sorted_groups
from formfit.models.firth import MAX_STEP, LogitFit, binomial_loglik, fit_logit
from formfit.models.threads import single_threaded_blas
from formfit.models.value_levels import Encoded
from formfit.models.values import min_level_size
from formfit.parallel import in_threads

SMALL = 20  # fewer wins or losses than this: SMALL_SAMPLE, penalised fit
# cells x columns of one design beyond which the LR test runs on a random subsample of leads
# (seeded, so results are reproducible): 25M float64 is 200 MB
MAX_DESIGN_ENTRIES = 25_000_000
# quasi-Newton steps a reduced ML fit may take before it is left to Newton's method
MAX_QN_STEPS = 50
QN_TOL = 1e-9  # largest change of any coefficient in the last step: fit_logit's tolerance
QN_MEMORY = 10  # BFGS updates kept


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
    r, piv = linalg.qr(x, mode="r", pivoting=True, check_finite=False)
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
        self._sparse_x: sparse.csr_array | None = None
        self._independent: frozenset[int] = frozenset()  # columns found linearly independent
        self._fits: dict[tuple[tuple[int, ...], tuple[int, ...] | None], LogitFit] = {}
        self._inverse_info: dict[tuple[int, ...], np.ndarray | None] = {}

    def columns(self, blocks: frozenset[str]) -> np.ndarray:
        cols = [np.array([0])] + [self.block_cols[b] for b in blocks if b in self.block_cols]
        return np.sort(np.concatenate(cols)).astype(np.int64)

    def _known_independent(self, cols: np.ndarray) -> bool:
        """Whether ``cols`` are among columns already found linearly independent (a subset of
        independent columns is independent: no p x p QR per field)."""
        return set(cols.tolist()) <= self._independent

    def select(self, blocks: frozenset[str],
               added: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Independent columns of ``blocks`` (reduced model), and those plus the columns of
        ``added`` that are independent of them (full model): so the full model nests the
        reduced one exactly and ``df`` is the rank the added field brings."""
        n = len(self.trials)
        cols = self.columns(blocks)
        if self._known_independent(cols):
            red = cols
        else:
            red = cols[independent_columns(self.r[:, cols], n_rows=n)]
            if len(red) == len(cols) and len(cols) > len(self._independent):
                self._independent = frozenset(cols.tolist())
        if added is None or added not in self.block_cols or not len(self.block_cols[added]):
            return red, red
        new = self.block_cols[added]
        if self._known_independent(np.concatenate([red, new])):
            keep = new
        else:
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

    def fit_reduced(self, full: LogitFit, full_cols: np.ndarray,
                    red_cols: np.ndarray) -> LogitFit:
        """ML fit on ``red_cols``, a subset of ``full_cols`` whose ML fit ``full`` converged
        to a finite maximum (so the reduced model has one too).

        Quasi-Newton steps from ``full``'s coefficients with the dropped ones at zero, without
        the ``cells x p^2`` information of a Newton step: the first Hessian is the full
        model's information at its maximum restricted to ``red_cols`` (its inverse a downdate
        of the full model's inverse information), corrected after each step by limited-memory
        BFGS updates from the change in the score (the log-likelihood is strictly concave, so
        every update is well defined). A step costs two sparse products with the design and
        ``p x p`` arithmetic. Steps are capped and halved as in :func:`fit_logit` and stop on
        its criterion (no coefficient moved more than :data:`QN_TOL`); a fit that does not
        get there in :data:`MAX_QN_STEPS` steps is left to :func:`fit_logit`.
        """
        key = (tuple(int(c) for c in red_cols), None)
        if key not in self._fits:
            fit = self._quasi_newton_fit(full, full_cols, red_cols)
            self._fits[key] = fit or self.fit(red_cols, False, warm=(full, full_cols))
        return self._fits[key]

    def _quasi_newton_fit(self, full: LogitFit, full_cols: np.ndarray,
                          red_cols: np.ndarray) -> LogitFit | None:
        sigma = self._full_inverse_info(full, full_cols)
        if sigma is None:
            return None
        where = {int(c): i for i, c in enumerate(full_cols)}
        keep = np.array([where[int(c)] for c in red_cols], dtype=np.int64)
        drop = np.setdiff1d(np.arange(len(full_cols)), keep)
        # The inverse of the information restricted to keep is the Schur complement in its
        # inverse: H0^-1 = S_kk - S_kd S_dd^-1 S_dk (S = sigma). With v padded by zeros on drop,
        # H0^-1 v = (S v)_keep - S_kd S_dd^-1 (S v)_drop: p x p work, no p x p copy.
        try:
            downdate = linalg.solve(sigma[np.ix_(drop, drop)], sigma[np.ix_(drop, keep)],
                                    assume_a="pos", check_finite=False).T
        except linalg.LinAlgError:
            return None
        padded = np.zeros(len(full_cols))

        def h0_inv(v: np.ndarray) -> np.ndarray:
            padded[keep] = v
            sv = sigma @ padded
            return np.asarray(sv[keep] - downdate @ sv[drop])

        sx = self.sparse_x()

        def score_at(eta: np.ndarray) -> np.ndarray:
            return np.asarray((sx.T @ (self.wins - self.trials * expit(eta)))[red_cols])

        beta = np.zeros(sx.shape[1])
        beta[red_cols] = full.beta[keep]
        eta = sx @ beta
        ll = binomial_loglik(eta, self.wins, self.trials)
        score = score_at(eta)
        pairs: list[tuple[np.ndarray, np.ndarray, float]] = []  # BFGS (step, score change)
        for it in range(1, MAX_QN_STEPS + 1):
            # L-BFGS two-loop recursion: step = H^-1 score, H the updated Hessian
            q = score.copy()
            alphas = []
            for s_k, y_k, rho in reversed(pairs):
                alphas.append(rho * float(s_k @ q))
                q -= alphas[-1] * y_k
            step = h0_inv(q)
            for (s_k, y_k, rho), alpha in zip(pairs, reversed(alphas), strict=True):
                step += (alpha - rho * float(y_k @ step)) * s_k
            biggest = float(np.max(np.abs(step), initial=0.0))
            if biggest > MAX_STEP:
                step *= MAX_STEP / biggest
            direction = np.zeros_like(beta)
            direction[red_cols] = step
            d_eta = sx @ direction
            t = 1.0
            new_ll = binomial_loglik(eta + d_eta, self.wins, self.trials)
            while not new_ll >= ll - 1e-12 * (1.0 + abs(ll)):
                t /= 2.0
                if t < 1e-6:
                    return None  # no step improves: left to Newton's method
                new_ll = binomial_loglik(eta + t * d_eta, self.wins, self.trials)
            beta += t * direction
            eta = eta + t * d_eta
            ll = new_ll
            if t * float(np.max(np.abs(step), initial=0.0)) < QN_TOL:
                return LogitFit(beta[red_cols], ll, ll, True, it, False)
            new_score = score_at(eta)
            s_k, y_k = t * step, score - new_score
            curvature = float(y_k @ s_k)
            if curvature > 0:
                pairs = [*pairs, (s_k, y_k, 1.0 / curvature)][-QN_MEMORY:]
            score = new_score
        return None

    def _full_inverse_info(self, full: LogitFit, full_cols: np.ndarray) -> np.ndarray | None:
        """Inverse of the information ``X' W X`` of the fit ``full`` on ``full_cols`` at its
        coefficients (once per full model: the covariate fields share the base model's)."""
        key = tuple(int(c) for c in full_cols)
        if key not in self._inverse_info:
            xf = self.x[:, full_cols]
            prob = expit(xf @ full.beta)
            info = (xf * (self.trials * prob * (1.0 - prob))[:, None]).T @ xf
            try:
                chol = linalg.cho_factor(info, lower=True, check_finite=False)
                self._inverse_info[key] = linalg.cho_solve(chol, np.eye(len(full_cols)),
                                                           check_finite=False)
            except linalg.LinAlgError:
                self._inverse_info[key] = None
        return self._inverse_info[key]

    def sparse_x(self) -> sparse.csr_array:
        """The design as a sparse matrix (indicators: one nonzero per field and cell)."""
        if self._sparse_x is None:
            self._sparse_x = sparse.csr_array(self.x)
        return self._sparse_x


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
                fit_red = group.fit_reduced(ml_full, full_cols, red_cols)
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
