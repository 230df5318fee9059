"""Designs for the drop-effect estimator: which cells form an evidence block, and what in a
block is identified.

Evidence comes from the design alone (the forms configuration and which cells hold trials):

- a **randomized block** is one experiment's cells on the dates when at least two of its
  variants had trials; its fields whose presence differs between variants on a common date are
  randomized. One intercept for the whole experiment, so only within-experiment contrasts count.
- an **observational block** is one group (a form, or an experiment whose field sets also
  changed over time) whose field set changed between versions, plus every other form whose
  field set never changed (controls: they pin down the time effects). One intercept for the
  group and one per control form, so differences *between* forms are absorbed and never used
  as evidence.

Within a block the design is ``[intercepts | period effects | segment levels | fields]``.
Periods are weeks, cut at the days the focal group changed its field set (a change mid-week
would otherwise meet the controls' within-week drift); they are used only when asked for and,
in observational blocks, only with controls. What is identified is read off the design, not
off names: the field columns are projected off the nuisance columns (``F~ = (I - P_N) F``;
computed on the distinct design rows through Gram matrices, whose Schur complement
``F'F - F'N (N'N)^-1 N'F`` equals ``F~'F~``), then

- a field whose projected column is zero has no variation once group effects are absorbed;
- ``scipy.linalg.null_space(F~)`` spans the non-estimable combinations: a field with a non-zero
  loading there is *aliased*; fields linked through the null space form one aliased group;
- removing a whole group is estimable when every cell's presence pattern of the group's fields
  is orthogonal to the null space (fields that always appear together: yes; variants that swap
  one field for another, so that only differences are identified: no);
- the fitted design keeps a maximal independent set of columns (each column in order unless
  it is a combination of those kept before it), so it has full rank (statsmodels on a
  rank-deficient design returns arbitrary, finite, meaningless errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import linalg

from formfit.inputs import FormsConfig, Notice

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
NAT_KEY = -(2**62)  # date key for cells without a date
NULL_TOL = 1e-9
RANK_TOL = 1e-5  # relative, on singular values (computed from Gram matrices)


def group_id(forms: FormsConfig, form_id: str) -> str:
    spec = forms.forms[form_id]
    return f"experiment {spec.experiment}" if spec.experiment else f"form {form_id}"


@dataclass
class Prepared:
    """Cells with trials, one row per (form_id, version, date, segments), fields as a matrix."""

    frame: pd.DataFrame  # form_id, version, group, pattern, datekey, date, segments, y, n
    fields: tuple[str, ...]  # every field any known form shows (matrix columns)
    presence: BoolArray  # cells x fields
    patterns: list[frozenset[str]]  # pattern id -> shown fields
    segments: tuple[str, ...]
    notices: list[Notice] = field(default_factory=list)


def prepare(cells: pd.DataFrame, *, successes: str, trials: str, forms: FormsConfig,
            segments: Sequence[str]) -> Prepared:
    """Keep cells with trials of known forms, attach group and field-set pattern."""
    notices: list[Notice] = []
    for col in ("form_id", successes, trials):
        if col not in cells.columns:
            raise KeyError(f"cells have no column {col!r}")
    segs = tuple(s for s in segments if s in cells.columns)
    df = pd.DataFrame({
        "form_id": cells["form_id"].astype(str).to_numpy(),
        "version": (cells["version"].to_numpy(dtype=np.int64) if "version" in cells.columns
                    else np.zeros(len(cells), dtype=np.int64)),
        "date": (pd.to_datetime(cells["date"]).astype("datetime64[ns]").to_numpy()
                 if "date" in cells.columns else np.full(len(cells), np.datetime64("NaT"),
                                                         dtype="datetime64[ns]")),
        "y": cells[successes].to_numpy(dtype=np.float64),
        "n": cells[trials].to_numpy(dtype=np.float64),
    })
    for s in segs:
        df[s] = cells[s].astype("string").fillna("(missing)").astype(str).to_numpy()
    n_versions = {f: len(spec.versions) for f, spec in forms.forms.items()}
    nv = df["form_id"].map(n_versions).fillna(0).to_numpy(dtype=np.int64)
    versions_ok = (df["version"].to_numpy() >= 0) & (df["version"].to_numpy() < nv)
    unknown = sorted(set(df.loc[~versions_ok & (df["n"] > 0), "form_id"]))
    if unknown:
        notices.append(Notice(
            "UNKNOWN_FORM",
            f"{len(unknown)} form(s) with {trials} are not in the forms configuration "
            f"({', '.join(unknown[:5])}); their cells were left out of the drop effects.",
            {"forms": unknown}))
    bad = (df["y"] < 0) | (df["y"] > df["n"]) | ~np.isfinite(df["y"]) | ~np.isfinite(df["n"])
    df = df[versions_ok & (df["n"] > 0) & ~bad.to_numpy()].reset_index(drop=True)
    dk = df["date"].to_numpy(dtype="datetime64[ns]")
    df["datekey"] = np.where(np.isnat(dk), NAT_KEY, dk.astype(np.int64) // 86_400_000_000_000)
    # one row per (form, version, day, segments): split or duplicated cells merge here
    keys = ["form_id", "version", "datekey", *segs]
    df = df.groupby(keys, sort=True)[["y", "n"]].sum().reset_index()
    df["date"] = np.where(df["datekey"] == NAT_KEY, np.datetime64("NaT", "ns"),
                          (df["datekey"].to_numpy() * 86_400_000_000_000).astype(
                              "datetime64[ns]"))
    shown = forms.shown_fields()
    pattern_ids: dict[frozenset[str], int] = {}
    pats: list[frozenset[str]] = []
    pid = np.empty(len(df), dtype=np.int64)
    for key, rows in df.groupby(["form_id", "version"], sort=True).indices.items():
        fid, ver = str(key[0]), int(key[1])
        pattern = frozenset(forms.forms[fid].versions[ver].fields)
        if pattern not in pattern_ids:
            pattern_ids[pattern] = len(pats)
            pats.append(pattern)
        pid[rows] = pattern_ids[pattern]
    df["pattern"] = pid
    df["group"] = df["form_id"].map({f: group_id(forms, f) for f in forms.forms}).astype(str)
    pat_matrix = np.array([[f in p for f in shown] for p in pats], dtype=bool).reshape(
        len(pats), len(shown))
    presence = pat_matrix[pid] if len(df) else np.zeros((0, len(shown)), dtype=bool)
    return Prepared(frame=df, fields=shown, presence=presence, patterns=pats, segments=segs,
                    notices=notices)


@dataclass(frozen=True)
class BlockSpec:
    """One evidence block: the cells a GLM is fitted on and what it is asked to report."""

    id: str
    kind: Literal["randomized", "observational"]
    focal: str  # the group whose within-group variation is the evidence
    mask: BoolArray  # rows of Prepared.frame in the block
    controls: tuple[str, ...]  # control form ids (observational: never-changed forms)
    time_effects: bool
    columns: tuple[str, ...]  # fields varying within the focal group's block cells
    reportable: tuple[str, ...]  # fields this block is the evidence for


def _varying(presence: BoolArray) -> BoolArray:
    if presence.shape[0] == 0:
        return np.zeros(presence.shape[1], dtype=bool)
    return np.asarray(presence.any(axis=0) & ~presence.all(axis=0), dtype=bool)


def plan_blocks(prep: Prepared, *, time_control: bool) -> tuple[list[BlockSpec], list[Notice]]:
    """Randomized blocks (one per experiment with concurrent variants) and observational ones
    (one per group whose field set changed), in a deterministic order."""
    df, pres, fields = prep.frame, prep.presence, prep.fields
    notices: list[Notice] = []
    blocks: list[BlockSpec] = []
    randomized: set[str] = set()
    has_dates = bool((df["datekey"] != NAT_KEY).any()) if len(df) else False
    groups = sorted(set(df["group"]))
    for g in groups:
        if not g.startswith("experiment "):
            continue
        gm = (df["group"] == g).to_numpy()
        sub = df[gm]
        forms_per_day = sub.groupby("datekey")["form_id"].nunique()
        days = forms_per_day.index[forms_per_day >= 2]
        if sub["form_id"].nunique() >= 2 and len(days) == 0:
            notices.append(Notice(
                "EXPERIMENT_NOT_CONCURRENT",
                f"The variants of {g} never ran on the same day, so they are compared as "
                "before/after versions, not as a randomized test.", {"experiment": g[11:]}))
        mask = gm & df["datekey"].isin(days).to_numpy()
        if not mask.any():
            continue
        p = pres[mask]
        dk = df.loc[mask, "datekey"].to_numpy()
        lo = pd.DataFrame(p).groupby(dk).min().to_numpy(dtype=bool)
        hi = pd.DataFrame(p).groupby(dk).max().to_numpy(dtype=bool)
        rnd = (hi & ~lo).any(axis=0)
        if not rnd.any():
            continue
        cols = tuple(f for f, v in zip(fields, _varying(p), strict=True) if v)
        rep = tuple(f for f, v in zip(fields, rnd, strict=True) if v)
        randomized.update(rep)
        blocks.append(BlockSpec(id=f"randomized: {g}", kind="randomized", focal=g, mask=mask,
                                controls=(), time_effects=time_control and has_dates,
                                columns=cols, reportable=rep))
    npat = df.groupby("group")["pattern"].nunique() if len(df) else pd.Series(dtype=int)
    # controls: every form whose field set never changed (an experiment's variants too; each
    # gets its own intercept in an observational block)
    fpat = df.groupby("form_id")["pattern"].nunique() if len(df) else pd.Series(dtype=int)
    fgroup = df.groupby("form_id")["group"].first() if len(df) else pd.Series(dtype=str)
    stable = sorted(str(f) for f in fpat.index[fpat.to_numpy() == 1])
    for g in groups:
        if int(npat.get(g, 0)) < 2:
            continue
        gm = (df["group"] == g).to_numpy()
        var = _varying(pres[gm])
        cols = tuple(f for f, v in zip(fields, var, strict=True) if v)
        rep = tuple(f for f in cols if f not in randomized)
        if not rep:
            continue
        ctrl = tuple(f for f in stable if fgroup[f] != g) if (time_control and has_dates) else ()
        mask = gm | df["form_id"].isin(ctrl).to_numpy()
        blocks.append(BlockSpec(id=f"observational: {g}", kind="observational", focal=g,
                                mask=mask, controls=ctrl, time_effects=bool(ctrl),
                                columns=cols, reportable=rep))
    return blocks, notices


@dataclass
class BlockDesign:
    """One block: its cells, their distinct design rows (``X``), and what is identified.

    The GLM is fitted on the distinct design rows (binomial counts add up: same estimates);
    the cells (one per form, field set, day and segments) keep the day for clustered errors,
    the Pearson statistic and the per-form profiles.
    """

    spec: BlockSpec
    rows: pd.DataFrame  # cells: form_id, group, pattern, datekey, segments, y, n, u
    X: FloatArray  # distinct design rows x kept columns
    y: FloatArray  # successes per distinct row
    n: FloatArray  # trials per distinct row
    names: list[str]  # kept column names ("group:..", "week:..", "<segment>=..", "field:..")
    n_nuisance: int
    field_index: dict[str, int]  # field -> column in X (kept field columns only)
    presence: BoolArray  # distinct rows x spec.columns
    focal: BoolArray  # distinct rows of the focal group
    no_variation: tuple[str, ...]  # fields whose column vanishes once nuisance is absorbed
    aliased: list[tuple[str, ...]]  # groups of fields linked through the null space
    null_basis: FloatArray  # columns: non-estimable combinations of spec.columns
    dropped: list[str] = field(default_factory=list)  # columns left out to keep full rank

    def estimable(self, members: Sequence[str]) -> bool:
        """Is removing all ``members`` at once estimable in every focal cell showing one?"""
        if self.null_basis.shape[1] == 0:
            return True
        idx = [self.spec.columns.index(f) for f in members]
        sel = self.focal & self.presence[:, idx].any(axis=1)
        if not sel.any():
            return False
        pats = np.unique(self.presence[sel], axis=0).astype(float)
        keep = np.zeros(len(self.spec.columns), dtype=bool)
        keep[idx] = True
        pats[:, ~keep] = 0.0
        return bool(np.max(np.abs(pats @ self.null_basis)) < 1e-6)


def _dummies(codes: NDArray[np.int64], levels: int, drop_first: bool) -> FloatArray:
    out = np.zeros((len(codes), levels), dtype=np.float64)
    out[np.arange(len(codes)), codes] = 1.0
    return out[:, 1:] if drop_first else out


def _sqrt_psd(G: FloatArray) -> FloatArray:
    """A square root R (R'R = G) of a symmetric positive semi-definite matrix."""
    lam, vec = linalg.eigh(G)
    lam = np.where(lam > 0, lam, 0.0)
    return np.asarray(np.sqrt(lam)[:, None] * vec.T, dtype=np.float64)


def _independent(G: FloatArray) -> NDArray[np.int64]:
    """Indices of a maximal set of linearly independent columns of A, given G = A'A: the
    first column that is not a combination of the columns kept before it, in column order.

    The order decides, not rounding: of two aliased fields the first is kept, on every BLAS
    build (pivoted QR broke the tie between equal columns by rounding noise, so which of two
    aliased fields was dropped, and so the JSON, changed with the LAPACK build). A column is
    kept when its squared distance from the span of the kept ones exceeds ``RANK_TOL**2``
    times the largest squared column norm (the scale of pivoted QR's first diagonal)."""
    p = G.shape[0]
    scale = float(np.max(np.diag(G))) if p else 0.0
    if p == 0 or scale <= 0.0:
        return np.zeros(0, dtype=np.int64)
    tol = RANK_TOL**2 * scale
    kept: list[int] = []
    chol = np.zeros((p, p))  # lower Cholesky factor of G[kept, kept], grown one column a time
    for j in range(p):
        k = len(kept)
        row = (linalg.solve_triangular(chol[:k, :k], G[kept, j], lower=True)
               if k else np.zeros(0))
        resid = float(G[j, j] - row @ row)
        if resid > tol:
            chol[k, :k] = row
            chol[k, k] = np.sqrt(resid)
            kept.append(j)
    return np.asarray(kept, dtype=np.int64)


def _canonical_basis(basis: FloatArray) -> FloatArray:
    """One orthonormal basis of the span of ``basis``'s columns, whatever basis came in: the
    reduced row echelon form of the span (unique), orthonormalized in order, each vector
    positive at its echelon row's pivot column. (SVD's null-space basis is unique only up to
    sign, and up to rotation when singular values tie: its signs changed with the LAPACK
    build.)"""
    if basis.shape[1] == 0:
        return basis
    m = basis.T.copy()  # rows span the space
    k, n = m.shape
    r = 0
    for c in range(n):
        if r == k:
            break
        piv = r + int(np.argmax(np.abs(m[r:, c])))
        if abs(m[piv, c]) <= NULL_TOL:
            m[r:, c] = 0.0
            continue
        m[[r, piv]] = m[[piv, r]]
        m[r] /= m[r, c]
        others = np.arange(k) != r
        m[others] -= np.outer(m[others, c], m[r])
        r += 1
    q, rr = np.linalg.qr(m[:r].T)
    out = q * np.where(np.diag(rr) < 0, -1.0, 1.0)
    out[np.abs(out) < NULL_TOL] = 0.0
    return np.asarray(out, dtype=np.float64)


def build_block(prep: Prepared, spec: BlockSpec) -> BlockDesign:
    """The block's cells, distinct design rows, full-rank design and identifiability.

    Rank work is done on Gram matrices of the distinct design rows (0/1 columns, so the Gram
    entries are exact integers): ``A'A`` is small, and its Schur complement
    ``F'F - F'N (N'N)^-1 N'F`` equals ``F~'F~`` for the field columns projected off the
    nuisance columns. (Tall LAPACK factorisations are avoided: they can stall for seconds when
    OpenBLAS threads oversubscribe a small machine.)
    """
    sub = prep.frame[spec.mask]
    segs = [s for s in prep.segments if sub[s].nunique() > 1] if len(sub) else []
    rows = sub.groupby(["form_id", "group", "pattern", "datekey", *segs],
                       sort=True)[["y", "n"]].sum().reset_index()
    # intercepts: the focal group's, and one per control form
    rows["group"] = np.where(rows["group"] == spec.focal, rows["group"],
                             "form " + rows["form_id"].astype(str))
    codes: list[NDArray[np.int64]] = []
    sizes: list[int] = []
    gcodes, glevels = pd.factorize(rows["group"], sort=True)
    codes.append(gcodes.astype(np.int64))
    sizes.append(len(glevels))
    nuisance_names = [[f"group:{g}" for g in glevels]]
    if spec.time_effects:
        dk = rows["datekey"].to_numpy()
        known = dk != NAT_KEY
        start = int(dk[known].min()) if known.any() else 0
        # weeks, split at the days the focal group changed its field sets: a change mid-week
        # would otherwise meet the within-week drift of the controls (simulation: -0.13 pp
        # bias on a 60-day world with a seasonal swing, gone with the split)
        cuts = _change_days(rows[rows["group"] == spec.focal])
        period = np.where(known, (dk - start) // 7 * (len(cuts) + 1)
                          + np.searchsorted(cuts, dk, side="right"), -1).astype(np.int64)
        wcodes, wlevels = pd.factorize(period, sort=True)
        first_day = pd.Series(dk[known]).groupby(period[known]).min()
        nuisance_names.append([f"period:{pd.Timestamp(int(first_day[w]), unit='D').date()}"
                               if w >= 0 else "period:unknown" for w in wlevels][1:])
        codes.append(wcodes.astype(np.int64))
        sizes.append(len(wlevels))
    for s in segs:
        scodes, slevels = pd.factorize(rows[s], sort=True)
        nuisance_names.append([f"{s}={lv}" for lv in slevels[1:]])
        codes.append(scodes.astype(np.int64))
        sizes.append(len(slevels))
    pattern = rows["pattern"].to_numpy(dtype=np.int64)
    key = np.zeros(len(rows), dtype=np.int64)
    for c, size in zip([*codes, pattern], [*sizes, len(prep.patterns)], strict=True):
        key = key * max(size, 1) + c
    u_idx, first = _factorize_first(key)
    rows["u"] = u_idx
    # nuisance columns on distinct rows: group intercepts, then weeks and segment levels
    # (their first level dropped)
    N = np.hstack([_dummies(c[first], size, drop_first=i > 0)
                   for i, (c, size) in enumerate(zip(codes, sizes, strict=True))])
    names = [nm for group in nuisance_names for nm in group]
    pattern_matrix = np.array([[f in p for f in spec.columns] for p in prep.patterns],
                              dtype=bool).reshape(len(prep.patterns), len(spec.columns))
    presence = pattern_matrix[pattern[first]]
    F = presence.astype(np.float64)
    n_keep = _independent(N.T @ N)
    Nk = N[:, n_keep]
    G_ff = F.T @ F
    S = G_ff.copy()
    if len(n_keep) and F.shape[1]:
        G_nf = Nk.T @ F
        S = G_ff - G_nf.T @ linalg.solve(Nk.T @ Nk, G_nf, assume_a="pos")
    S = (S + S.T) / 2.0
    live = np.diag(S) > RANK_TOL**2 * np.maximum(np.diag(G_ff), 1.0)
    no_var = tuple(f for f, v in zip(spec.columns, live, strict=True) if not v)
    live_idx = np.flatnonzero(live)
    null_basis = np.zeros((len(spec.columns), 0))
    f_keep = np.zeros(0, dtype=np.int64)
    if len(live_idx):
        S_live = S[np.ix_(live_idx, live_idx)]
        # coordinates at rounding-noise level are zero (_canonical_basis): they would
        # otherwise differ between BLAS builds (1e-16 vs 2e-15) and break byte-identical JSON
        null_live = _canonical_basis(linalg.null_space(_sqrt_psd(S_live), rcond=RANK_TOL))
        null_basis = np.zeros((len(spec.columns), null_live.shape[1]))
        null_basis[live_idx, :] = null_live
        f_keep = live_idx[_independent(S_live)]
    aliased = _components(spec.columns, null_basis)
    extra = np.zeros((len(spec.columns), len(no_var)))
    for j, f in enumerate(no_var):
        extra[spec.columns.index(f), j] = 1.0
    X = np.hstack([Nk, F[:, f_keep]])
    kept = [names[i] for i in n_keep] + [f"field:{spec.columns[i]}" for i in f_keep]
    kept_set = set(kept)
    all_names = names + [f"field:{f}" for f in spec.columns]
    yv, nv = rows["y"].to_numpy(), rows["n"].to_numpy()
    return BlockDesign(
        spec=spec, rows=rows, X=X,
        y=np.bincount(u_idx, weights=yv, minlength=len(first)).astype(np.float64),
        n=np.bincount(u_idx, weights=nv, minlength=len(first)).astype(np.float64),
        names=kept, n_nuisance=len(n_keep),
        field_index={spec.columns[i]: len(n_keep) + j for j, i in enumerate(f_keep)},
        presence=presence, focal=(rows["group"].to_numpy()[first] == spec.focal),
        no_variation=no_var, aliased=aliased, null_basis=np.hstack([null_basis, extra]),
        dropped=[c for c in all_names if c not in kept_set])


def _factorize_first(key: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Codes 0..U-1 of ``key`` (in order of first appearance) and each code's first row."""
    codes, _ = pd.factorize(key)
    codes = codes.astype(np.int64)
    first = np.full(int(codes.max()) + 1 if len(codes) else 0, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes), dtype=np.int64)[::-1]  # last write: first row
    return codes, first


def _components(columns: Sequence[str], null_basis: FloatArray) -> list[tuple[str, ...]]:
    """Fields linked through the null space (basis-free: via the projector V V')."""
    if null_basis.shape[1] == 0:
        return []
    P = null_basis @ null_basis.T
    k = len(columns)
    involved = [i for i in range(k) if P[i, i] > 1e-8]
    parent = {i: i for i in involved}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a in involved:
        for b in involved:
            if a < b and abs(P[a, b]) > 1e-8:
                parent[find(a)] = find(b)
    comps: dict[int, list[str]] = {}
    for i in involved:
        comps.setdefault(find(i), []).append(columns[i])
    return sorted((tuple(c) for c in comps.values()), key=lambda c: columns.index(c[0]))


def _change_days(rows: pd.DataFrame) -> NDArray[np.int64]:
    """Sorted days on which a form of the group shows a different field set than on its
    previous day with data."""
    days: set[int] = set()
    for _, g in rows[rows["datekey"] != NAT_KEY].groupby("form_id", sort=True):
        seq = g.drop_duplicates(["datekey", "pattern"]).sort_values("datekey")
        dk, pat = seq["datekey"].to_numpy(), seq["pattern"].to_numpy()
        days.update(int(d) for d in dk[1:][pat[1:] != pat[:-1]])
    return np.array(sorted(days), dtype=np.int64)
