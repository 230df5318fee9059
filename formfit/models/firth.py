"""Logistic regression on binomial cells, by maximum likelihood or Firth's penalised likelihood.

Estimand: the coefficients ``beta`` of ``logit P(won | x) = x' beta`` from cells of
``successes`` out of ``trials`` sharing one design row ``x``. Cells give the same estimates and
log-likelihood differences as one row per lead (the binomial coefficient is a constant that is
left out of ``loglik``), at a fraction of the cost.

Firth (1993): maximise ``l(beta) + 1/2 log det I(beta)``, ``I = X' W X``, ``W = m p (1 - p)``.
The estimates are finite under complete or quasi-complete separation (a level with no wins),
and less biased in small samples. The Newton step solves ``I d = U*`` with the modified score
``U* = X' (y - m p + h (1/2 - p))``, ``h`` the diagonal of the hat matrix
``W^1/2 X I^-1 X' W^1/2``; steps are halved until the penalised log-likelihood rises.
Likelihood-ratio tests under Firth compare penalised log-likelihoods, the restricted model
keeping the full model's penalty (``penalty_x``; Heinze & Schemper 2002, as R's ``logistf``).

Checked against R: ``brglm2::brglmFit(type = "MPL_Jeffreys")``
(``tests/test_predictive.py::test_firth_matches_r_brglm2`` quotes the call and the numbers),
and against the closed form for a saturated 2x2 table, where Firth's log odds ratio is
``log((a + 1/2)(d + 1/2) / ((b + 1/2)(c + 1/2)))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.special import expit

# |beta| beyond this on 0/1 indicator designs is an odds ratio over 10^5: separation, not data
DIVERGENCE_BETA = 12.0
MAX_STEP = 5.0  # largest change of any coefficient in one Newton step (logistf's default)


@dataclass(frozen=True)
class LogitFit:
    beta: np.ndarray
    loglik: float  # binomial log-likelihood without the constant binomial coefficients
    penalised_loglik: float  # loglik + 1/2 log det I (equals loglik when firth is False)
    converged: bool
    iterations: int
    firth: bool

    @property
    def diverged(self) -> bool:
        """ML estimates running off to infinity (separation) or no convergence."""
        return (not self.converged) or bool(np.max(np.abs(self.beta), initial=0.0)
                                            > DIVERGENCE_BETA)

    @property
    def objective(self) -> float:
        return self.penalised_loglik if self.firth else self.loglik


def binomial_loglik(eta: np.ndarray, y: np.ndarray, m: np.ndarray) -> float:
    """``sum(y eta - m log(1 + e^eta))``: the log-likelihood without the binomial coefficients."""
    # y*eta - m*log(1 + e^eta), written to stay finite for large |eta|
    return float(np.sum(y * eta - m * np.logaddexp(0.0, eta)))


def _info_chol(x: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    info = (x * w[:, None]).T @ x
    try:
        return np.asarray(linalg.cholesky(info, lower=True, check_finite=False))
    except linalg.LinAlgError:
        return None


def fit_logit(x: np.ndarray, successes: np.ndarray, trials: np.ndarray, *, firth: bool = False,
              beta0: np.ndarray | None = None, max_iter: int = 50, tol: float = 1e-9,
              penalty_x: np.ndarray | None = None) -> LogitFit:
    """Fit a binomial logit by Newton-Raphson with step halving.

    ``x`` must have full column rank (drop aliased columns first). Under separation the ML fit
    stops after ``max_iter`` steps with ``diverged`` set; refit with ``firth=True``.

    ``penalty_x`` (Firth only): the design whose Fisher information makes the penalty, when it is
    larger than ``x``. A restricted model for a penalised likelihood-ratio test must keep the
    *full* model's penalty, ``1/2 log det(X_full' W X_full)`` with ``W`` from ``x beta``
    (Heinze & Schemper 2002; R's logistf fits restricted models this way); a restricted model
    with its own, smaller penalty makes the statistic too large when wins are few.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(successes, dtype=float)
    m = np.asarray(trials, dtype=float)
    px = x if penalty_x is None or not firth else np.asarray(penalty_x, dtype=float)
    shared = px is x
    n, p = x.shape
    if p == 0 and not (firth and px.shape[1]):
        ll = binomial_loglik(np.zeros(n), y, m)
        return LogitFit(np.zeros(0), ll, ll, True, 0, firth)
    if beta0 is None:
        beta = np.zeros(p)
        # start the intercept-like direction at the overall log odds: fewer iterations
        rate = (y.sum() + 0.5) / (m.sum() + 1.0)
        const = np.all(x == x[:1], axis=0) & (x[0] != 0) if p else np.zeros(0, dtype=bool)
        if const.any():
            j = int(np.argmax(const))
            beta[j] = np.log(rate / (1 - rate)) / x[0, j]
    else:
        beta = np.asarray(beta0, dtype=float).copy()

    State = tuple[float, float, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]

    def evaluate(b: np.ndarray, full: bool) -> State:
        """Log-likelihood and objective; with ``full`` (or under Firth) also the weights and
        the Cholesky factors of the information (for the step) and of the penalty."""
        eta = x @ b
        ll = binomial_loglik(eta, y, m)
        if not (full or firth):
            return ll, ll, eta, eta, None, None
        prob = expit(eta)
        w = m * prob * (1.0 - prob)
        chol = _info_chol(x, w) if p else np.zeros((0, 0))
        pchol = chol if shared else _info_chol(px, w)
        if not firth:
            pen = ll
        elif pchol is None:
            pen = -np.inf
        else:
            pen = ll + float(np.sum(np.log(np.diag(pchol))))  # 1/2 log det I
        return ll, pen, prob, w, chol, pchol

    ll, pen, prob, w, chol, pchol = evaluate(beta, True)
    obj = pen if firth else ll
    converged = p == 0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        if p == 0 or chol is None or (firth and pchol is None):
            break
        resid = y - m * prob
        if firth and pchol is not None:
            a = linalg.solve_triangular(pchol, (px * np.sqrt(w)[:, None]).T, lower=True,
                                        check_finite=False)
            h = np.einsum("ij,ij->j", a, a)
            resid = resid + h * (0.5 - prob)
        score = x.T @ resid
        step = linalg.cho_solve((chol, True), score, check_finite=False)
        biggest = float(np.max(np.abs(step)))
        if biggest > MAX_STEP:  # near-flat directions: cap the step, as logistf's maxstep
            step *= MAX_STEP / biggest
        t = 1.0
        new = evaluate(beta + step, False)
        while not (new[1] >= obj - 1e-12 * (1.0 + abs(obj))) and t > 1e-6:
            t /= 2.0
            new = evaluate(beta + t * step, False)
        if not new[1] >= obj - 1e-12 * (1.0 + abs(obj)):
            # no step improves the objective: we are at its numerical maximum
            converged = bool(np.max(np.abs(step)) < 1e-3)
            break
        beta = beta + t * step
        gain = new[1] - obj
        ll, pen, prob, w, chol, pchol = new if firth else evaluate(beta, True)
        obj = pen if firth else ll
        small_step = float(np.max(np.abs(t * step))) < tol
        if small_step or (0 <= gain < 1e-13 * (1.0 + abs(obj))
                          and float(np.max(np.abs(step))) < 1e-8):
            converged = True
            break
        if not firth and float(np.max(np.abs(beta))) > DIVERGENCE_BETA + 3.0:
            break  # separation: ML has no finite maximum, stop early
    return LogitFit(beta, ll, pen if firth else ll, converged, it, firth)
