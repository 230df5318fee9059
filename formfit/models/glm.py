"""A binomial logit GLM on aggregated cells, and average marginal effects by the delta method.

Plain numpy Newton-Raphson (IRLS) on a full-rank design: for cells ``c`` with ``n_c`` trials,
``y_c`` successes and design row ``x_c``, maximise ``sum_c y_c log p_c + (n_c - y_c) log(1-p_c)``
with ``p_c = expit(x_c beta)``. The fit equals statsmodels'
``GLM(np.column_stack([y, n - y]), X, family=Binomial()).fit()`` (checked in the tests to 1e-6)
but avoids its traps: designs are full rank by construction (columns chosen by
``formfit.models.design``), the weighted AME is computed here (``get_margeff`` averages cells
without weights), and all three covariances are computed from one bread:

- ``cov_binomial``: ``(X' W X)^-1`` with ``W = n p (1-p)`` (the model-based binomial covariance);
- ``cov_quasi``: ``cov_binomial * max(1, X2 / (units - k))``, the quasi-binomial scale with the
  Pearson statistic computed on counts (trials included, unlike statsmodels'
  ``scale="X2"`` on two-column endog) and floored at 1. The units are the cells, or coarser
  units given by ``pearson_units`` (e.g. form-days, so that a day shock shared by the
  day's segment cells counts as the over-dispersion it is);
- ``cov_cluster``: the sandwich ``B M B`` with ``M = sum_g s_g s_g'``, ``s_g`` the score
  ``sum_{c in g} x_c (y_c - n_c p_c)`` of cluster ``g``, times ``G / (G - 1)`` (statsmodels'
  ``cov_type="cluster"`` with ``use_correction=False``, times G/(G-1): its default correction
  counts cells, not trials).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import linalg, sparse
from scipy.special import expit

FloatArray = NDArray[np.float64]

#: coefficients beyond this (on the logit scale) mean a probability pinned at 0 or 1
SEPARATION_COEF = 10.0
#: binomial standard errors beyond this mean the likelihood is flat in that direction
SEPARATION_SE = 50.0


@dataclass(frozen=True)
class CellFit:
    """A fitted binomial GLM on cells (``k`` coefficients, ``m`` cells)."""

    coef: FloatArray
    cov_binomial: FloatArray
    cov_quasi: FloatArray
    cov_cluster: FloatArray | None  # None without clusters (or a single one)
    dispersion: float  # Pearson X2 / (units - k); NaN when units <= k
    dispersion_df: int  # units - k
    clusters: int  # number of distinct clusters (0 without)
    converged: bool
    iterations: int
    fitted: FloatArray  # p_c
    # per cluster: its code and its score sum_{c in g} x_c (y_c - n_c p_c) (G x k), the
    # pieces of cov_cluster's meat; estimates of two fits on shared clusters (days) covary
    # through them (formfit.models.effects combines observational blocks so)
    cluster_codes: NDArray[np.int64] | None = None
    cluster_scores: FloatArray | None = None

    def influence(self, grad: FloatArray) -> FloatArray | None:
        """Per cluster, its part of ``grad' (beta_hat - beta)``: the influence whose sum of
        squares, times G/(G-1), is ``grad``'s cluster-robust variance."""
        if self.cluster_scores is None:
            return None
        out: FloatArray = self.cluster_scores @ (self.cov_binomial @ grad)
        return out

    def suspect_separation(self) -> NDArray[np.bool_]:
        """Columns whose estimate ran off towards +-infinity (probabilities pinned at 0/1)."""
        se = np.sqrt(np.maximum(np.diag(self.cov_binomial), 0.0))
        out: NDArray[np.bool_] = (np.abs(self.coef) > SEPARATION_COEF) | (se > SEPARATION_SE)
        return out


def _start(y: FloatArray, n: FloatArray, X: FloatArray) -> FloatArray:
    """Weighted least squares of empirical logits: a starting point close to the optimum.

    Normal equations (a matrix product and a small Cholesky), not a tall LAPACK solve: those
    can stall for seconds when OpenBLAS threads oversubscribe a small machine.
    """
    z = np.log((y + 0.5) / (n - y + 0.5))
    w = (y + 0.5) * (n - y + 0.5) / (n + 1.0)
    A = X.T @ (X * w[:, None])
    A += np.eye(A.shape[0]) * 1e-10 * max(1.0, float(np.max(np.diag(A), initial=1.0)))
    return _solve_pd(A, X.T @ (w * z))


def _solve_pd(A: FloatArray, b: FloatArray) -> FloatArray:
    try:
        c = linalg.cho_factor(A, check_finite=False)
        return np.asarray(linalg.cho_solve(c, b, check_finite=False), dtype=np.float64)
    except linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(A) @ b, dtype=np.float64)


def _inverse_pd(A: FloatArray) -> FloatArray:
    try:
        c = linalg.cho_factor(A, check_finite=False)
        out = np.asarray(linalg.cho_solve(c, np.eye(A.shape[0]), check_finite=False),
                         dtype=np.float64)
    except linalg.LinAlgError:
        out = np.asarray(np.linalg.pinv(A), dtype=np.float64)
    return (out + out.T) / 2.0


def _loglik(y: FloatArray, n: FloatArray, eta: FloatArray) -> float:
    # y*eta - n*log(1+exp(eta)), computed stably
    return float(np.sum(y * eta - n * np.logaddexp(0.0, eta)))


def fit_cells(X: FloatArray, y: FloatArray, n: FloatArray,
              clusters: NDArray[np.int64] | None = None, *,
              cells: tuple[NDArray[np.int64], FloatArray, FloatArray] | None = None,
              pearson_units: NDArray[np.int64] | None = None, pearson_k: int | None = None,
              max_iter: int = 60, tol: float = 1e-11) -> CellFit:
    """Maximum likelihood binomial logit on rows with trials ``n > 0``.

    The rows may be distinct design rows with the counts of several cells added up (the
    likelihood is the same); then ``cells = (row_of_cell, y_cell, n_cell)`` gives the cells
    for the Pearson statistic and the cluster scores, and ``clusters`` has one code per cell.
    ``pearson_units``: a code per cell; residuals and binomial variances are summed per unit
    before the Pearson statistic, whose degrees of freedom are units - ``pearson_k``
    (default: the number of coefficients).
    ``clusters``: integer cluster codes (e.g. the day) for the cluster-robust covariance; None
    or a single distinct code gives ``cov_cluster=None``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    m, k = X.shape
    beta = _start(y, n, X)
    eta = X @ beta
    ll = _loglik(y, n, eta)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        p = expit(eta)
        w = n * p * (1.0 - p)
        grad = X.T @ (y - n * p)
        H = X.T @ (X * w[:, None])
        step = _solve_pd(H, grad)
        # step halving keeps Newton monotone (it can overshoot when a cell is near 0 or 1)
        t = 1.0
        for _ in range(30):
            new_beta = beta + t * step
            new_eta = X @ new_beta
            new_ll = _loglik(y, n, new_eta)
            if new_ll >= ll - 1e-12 * abs(ll):
                break
            t /= 2.0
        change = new_ll - ll
        beta, eta, ll = new_beta, new_eta, new_ll
        if abs(change) <= tol * (abs(ll) + 1.0):
            # a separated direction keeps stepping while the likelihood no longer moves
            converged = float(np.max(np.abs(t * step), initial=0.0)) < 1e-4
            break
    p = expit(eta)
    w = n * p * (1.0 - p)
    bread = _inverse_pd(X.T @ (X * w[:, None]))
    if cells is None:
        c_row: NDArray[np.int64] = np.arange(m, dtype=np.int64)
        c_y, c_n = y, n
    else:
        c_row, c_y, c_n = cells
    pc = p[c_row]
    resid = c_y - c_n * pc
    wc = c_n * pc * (1.0 - pc)
    if pearson_units is not None:
        _, unit = np.unique(pearson_units, return_inverse=True)
        r_u: FloatArray = np.bincount(unit.ravel(), weights=resid).astype(np.float64)
        w_u: FloatArray = np.bincount(unit.ravel(), weights=wc).astype(np.float64)
        df = len(r_u) - (k if pearson_k is None else pearson_k)
    else:
        r_u, w_u = resid, wc
        df = len(c_row) - k
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.where(w_u > 0, r_u**2 / w_u, 0.0)
    dispersion = float(np.sum(pearson) / df) if df > 0 else float("nan")
    scale = max(1.0, dispersion) if np.isfinite(dispersion) else 1.0
    cov_cluster = None
    g_count = 0
    codes: NDArray[np.int64] | None = None
    S: FloatArray | None = None
    if clusters is not None:
        codes, g_idx = np.unique(np.asarray(clusters), return_inverse=True)
        g_count = len(codes)
        if g_count > 1:
            # per-cluster scores: sum over its cells of x_row (y - n p)
            by = sparse.coo_matrix((resid, (g_idx.ravel(), c_row)), shape=(g_count, m)).tocsr()
            S = np.asarray(by @ X)
            meat = S.T @ S
            cov_cluster = bread @ meat @ bread * (g_count / (g_count - 1.0))
            cov_cluster = (cov_cluster + cov_cluster.T) / 2.0
        else:
            codes = None
    return CellFit(coef=beta, cov_binomial=bread, cov_quasi=bread * scale,
                   cov_cluster=cov_cluster, dispersion=dispersion, dispersion_df=df,
                   clusters=g_count,
                   converged=converged, iterations=it, fitted=p,
                   cluster_codes=codes if cov_cluster is not None else None,
                   cluster_scores=S if cov_cluster is not None else None)


@dataclass(frozen=True)
class Ame:
    """A trial-weighted average marginal effect on the probability scale (not yet scaled)."""

    estimate: float
    gradient: FloatArray  # d estimate / d beta
    baseline: float  # trial-weighted mean of p over the cells (the "as is" prediction)
    trials: float


def ame(X: FloatArray, X_cf: FloatArray, n: FloatArray, beta: FloatArray) -> Ame:
    """``sum_c w_c [expit(x_cf_c b) - expit(x_c b)]`` with ``w_c = n_c / sum n``, and its gradient.

    The gradient is ``sum_c w_c [p_cf (1-p_cf) x_cf_c - p (1-p) x_c]`` so that
    ``Var = g' Cov(beta) g`` (the delta method).
    """
    total = float(np.sum(n))
    w = n / total
    p = expit(X @ beta)
    p_cf = expit(X_cf @ beta)
    est = float(np.sum(w * (p_cf - p)))
    grad = X_cf.T @ (w * p_cf * (1.0 - p_cf)) - X.T @ (w * p * (1.0 - p))
    return Ame(estimate=est, gradient=np.asarray(grad, dtype=np.float64),
               baseline=float(np.sum(w * p)), trials=total)


def quad(g: FloatArray, cov: FloatArray) -> float:
    """``g' cov g``, never negative."""
    return max(0.0, float(g @ cov @ g))
