"""Designs for the drop-effect estimator: which cells form an evidence block, and what in a
block is identified.

Evidence comes from the design alone (the forms configuration and which cells hold trials):

- a **randomized block** is one experiment's cells on the dates when at least two of its
  variants had trials; its fields whose presence differs between variants on a common date are
  randomized. One intercept for the whole experiment, so only within-experiment contrasts count.
- an **observational block** is one group (a form, or an experiment whose field sets also
  changed over time) whose field set changed between versions, plus every group whose field set
  never changed (controls: they pin down the week effects). One intercept per group, so
  differences *between* forms are absorbed and never used as evidence.

Within a block the design is ``[group intercepts | week effects | segment levels | fields]``
(week effects only when asked for and, in observational blocks, only with controls). What is
identified is read off the design, not off names: the field columns are projected off the
nuisance columns (``F~ = (I - P_N) F``), then

- a field whose projected column is zero has no variation once group effects are absorbed;
- ``scipy.linalg.null_space(F~)`` spans the non-estimable combinations: a field with a non-zero
  loading there is *aliased*; fields linked through the null space form one aliased group;
- removing a whole group is estimable when every cell's presence pattern of the group's fields
  is orthogonal to the null space (fields that always appear together: yes; variants that swap
  one field for another, so that only differences are identified: no);
- the fitted design keeps a maximal independent set of columns (pivoted QR), so it has full
  rank (statsmodels on a rank-deficient design returns arbitrary, finite, meaningless errors).
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
RANK_TOL = 1e-9


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
    known = df["form_id"].map(lambda f: f in forms.forms).to_numpy(dtype=bool)
    versions_ok = np.array([k and 0 <= v < len(forms.forms[f].versions)
                            for f, v, k in zip(df["form_id"], df["version"], known, strict=True)],
                           dtype=bool)
    unknown = sorted(set(df.loc[~versions_ok & (df["n"] > 0), "form_id"]))
    if unknown:
        notices.append(Notice(
            "UNKNOWN_FORM",
            f"{len(unknown)} form(s) with {trials} are not in the forms configuration "
            f"({', '.join(unknown[:5])}); their cells were left out of the drop effects.",
            {"forms": unknown}))
    bad = (df["y"] < 0) | (df["y"] > df["n"]) | ~np.isfinite(df["y"]) | ~np.isfinite(df["n"])
    df = df[versions_ok & (df["n"] > 0) & ~bad.to_numpy()].reset_index(drop=True)
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
    df["group"] = [group_id(forms, f) for f in df["form_id"]]
    dk = df["date"].to_numpy(dtype="datetime64[ns]")
    df["datekey"] = np.where(np.isnat(dk), NAT_KEY, dk.astype(np.int64) // 86_400_000_000_000)
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
    controls: tuple[str, ...]  # other groups (observational: never-changed forms)
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
    controls = tuple(g for g in groups if int(npat.get(g, 0)) == 1)
    for g in groups:
        if int(npat.get(g, 0)) < 2:
            continue
        gm = (df["group"] == g).to_numpy()
        var = _varying(pres[gm])
        cols = tuple(f for f, v in zip(fields, var, strict=True) if v)
        rep = tuple(f for f in cols if f not in randomized)
        if not rep:
            continue
        ctrl = controls if (time_control and has_dates) else ()
        mask = gm | df["group"].isin(ctrl).to_numpy()
        blocks.append(BlockSpec(id=f"observational: {g}", kind="observational", focal=g,
                                mask=mask, controls=ctrl, time_effects=bool(ctrl),
                                columns=cols, reportable=rep))
    return blocks, notices


@dataclass
class BlockDesign:
    """The aggregated rows and full-rank design of one block, with its identifiability."""

    spec: BlockSpec
    rows: pd.DataFrame  # form_id, group, pattern, datekey, segments, y, n (aggregated)
    X: FloatArray
    names: list[str]  # kept column names ("group:..", "week:..", "<segment>=..", "field:..")
    n_nuisance: int
    field_index: dict[str, int]  # field -> column in X (kept field columns only)
    presence: BoolArray  # rows x spec.columns
    focal: BoolArray  # rows of the focal group
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
        return bool(np.max(np.abs(pats @ self.null_basis)) < 1e-7)


def _dummies(codes: NDArray[np.int64], levels: int, drop_first: bool) -> FloatArray:
    out = np.zeros((len(codes), levels), dtype=np.float64)
    out[np.arange(len(codes)), codes] = 1.0
    return out[:, 1:] if drop_first else out


def tall_r(A: FloatArray, chunk: int = 256) -> FloatArray:
    """The R factor of A = QR for tall A, by QR of row chunks (TSQR).

    Same singular values, rank and null space as A. Done in chunks because one LAPACK QR of a
    tall matrix can stall for seconds when OpenBLAS threads oversubscribe a small machine.
    """
    k = A.shape[1]
    if k == 0:
        return np.zeros((0, 0))
    step = max(chunk, 2 * k)
    while A.shape[0] > step:
        A = np.vstack([linalg.qr(A[i:i + step], mode="r")[0][:k]
                       for i in range(0, A.shape[0], step)])
    r = linalg.qr(A, mode="r")[0][:k]
    out = np.zeros((k, k))
    out[: r.shape[0]] = r
    return out


def _independent(A: FloatArray) -> NDArray[np.int64]:
    """Indices of a maximal set of linearly independent columns of A (pivoted QR of R)."""
    if A.shape[1] == 0 or A.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    R = tall_r(A) if A.shape[0] > A.shape[1] else A
    _, r, piv = linalg.qr(R, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    if d.size == 0 or d[0] == 0:
        return np.zeros(0, dtype=np.int64)
    rank = int(np.sum(d > RANK_TOL * d[0] * max(1.0, np.sqrt(A.shape[0]))))
    return np.sort(piv[:rank]).astype(np.int64)


def build_block(prep: Prepared, spec: BlockSpec) -> BlockDesign:
    """Aggregate the block's cells to distinct design rows per day and build its design."""
    sub = prep.frame[spec.mask]
    segs = [s for s in prep.segments if sub[s].nunique() > 1] if len(sub) else []
    keys = ["form_id", "group", "pattern", "datekey", *segs]
    rows = sub.groupby(keys, sort=True)[["y", "n"]].sum().reset_index()
    blocks: list[FloatArray] = []
    names: list[str] = []
    gcodes, glevels = pd.factorize(rows["group"], sort=True)
    blocks.append(_dummies(gcodes.astype(np.int64), len(glevels), drop_first=False))
    names += [f"group:{g}" for g in glevels]
    if spec.time_effects:
        dk = rows["datekey"].to_numpy()
        known = dk != NAT_KEY
        start = int(dk[known].min()) if known.any() else 0
        week = np.where(known, (dk - start) // 7, 0).astype(np.int64)
        wcodes, wlevels = pd.factorize(week, sort=True)
        if len(wlevels) > 1:
            blocks.append(_dummies(wcodes.astype(np.int64), len(wlevels), drop_first=True))
            base = pd.Timestamp(start, unit="D")
            names += [f"week:{(base + pd.Timedelta(days=7 * int(w))).date()}"
                      for w in wlevels[1:]]
    for s in segs:
        scodes, slevels = pd.factorize(rows[s], sort=True)
        blocks.append(_dummies(scodes.astype(np.int64), len(slevels), drop_first=True))
        names += [f"{s}={lv}" for lv in slevels[1:]]
    N = np.hstack(blocks) if blocks else np.zeros((len(rows), 0))
    pattern_matrix = np.array([[f in p for f in spec.columns] for p in prep.patterns],
                              dtype=bool).reshape(len(prep.patterns), len(spec.columns))
    presence = pattern_matrix[rows["pattern"].to_numpy()]
    F = presence.astype(np.float64)
    # identifiability on distinct design rows (duplicates change no rank or null space)
    NF = np.hstack([N, F])
    uniq = np.unique(NF, axis=0) if len(NF) else NF
    Nu, Fu = uniq[:, :N.shape[1]], uniq[:, N.shape[1]:]
    n_keep = _independent(Nu)
    # R of [N_kept | F]: its lower-right block R22 is F projected off the nuisance columns
    # (same norms, rank and null space as F~ = (I - P_N) F)
    R = tall_r(np.hstack([Nu[:, n_keep], Fu]))
    Ft = R[len(n_keep):, len(n_keep):]
    norms = np.linalg.norm(Ft, axis=0)
    base_norms = np.maximum(np.linalg.norm(Fu, axis=0), 1.0)
    live = norms > 1e-8 * base_norms
    no_var = tuple(f for f, v in zip(spec.columns, live, strict=True) if not v)
    live_idx = np.flatnonzero(live)
    Fl = Ft[:, live_idx]
    null_live = linalg.null_space(Fl, rcond=1e-9) if Fl.shape[1] else np.zeros((0, 0))
    null_basis = np.zeros((len(spec.columns), null_live.shape[1]))
    if null_live.size:
        null_basis[live_idx, :] = null_live
    # vanished columns are non-estimable on their own too
    extra = np.zeros((len(spec.columns), len(no_var)))
    for j, f in enumerate(no_var):
        extra[spec.columns.index(f), j] = 1.0
    null_all = np.hstack([null_basis, extra])
    aliased = _components(spec.columns, null_basis)
    f_keep = live_idx[_independent(Fl)] if Fl.shape[1] else np.zeros(0, dtype=np.int64)
    X = np.hstack([N[:, n_keep], F[:, f_keep]])
    all_names = names + [f"field:{f}" for f in spec.columns]
    kept = [names[i] for i in n_keep] + [f"field:{spec.columns[i]}" for i in f_keep]
    dropped = [c for c in all_names if c not in set(kept)]
    field_index = {spec.columns[i]: len(n_keep) + j for j, i in enumerate(f_keep)}
    return BlockDesign(spec=spec, rows=rows, X=X, names=kept, n_nuisance=len(n_keep),
                       field_index=field_index, presence=presence,
                       focal=(rows["group"] == spec.focal).to_numpy(),
                       no_variation=no_var, aliased=aliased, null_basis=null_all,
                       dropped=dropped)


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
