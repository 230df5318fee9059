"""Views and the two behavioural models: who submits (friction) and who wins (qualification).

Per view v with latent intent z (normal around its channel's and form's mean):

    logit P(submit | v, S) = a_form + device + channel + trend(day) + weekend + shock(group, day)
                             + β z  −  Σ_{f in S} c_f(required/optional) · exp(−λ z)
    P(win | submitted, v, S) = 0                                    if email not in S
                             = σ(w) + 1[phone in S]·(1 − j)·(σ(w + ρ) − σ(w))   otherwise
    w = b_form + channel_win + γ z

where S is the field set the view's form shows that day, j the junk rate of phone numbers (a
junk number cannot be called) and ρ the routing value of a usable phone number. Intent drives
both submitting and winning, so friction selects: a weak lead gives up first.
Everything here is vectorised over views; the only Python loops run over forms and fields.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from formfit.simulation.design import (
    CHANNEL_CONV,
    CHANNEL_INTENT,
    CHANNEL_SHARE,
    CHANNEL_WIN,
    DEVICE_CONV,
    DEVICE_SHARE,
    FIELDS,
    FormDesign,
    WorldParams,
)

FIELD_ORDER: tuple[str, ...] = tuple(FIELDS)
FIELD_INDEX: dict[str, int] = {f: i for i, f in enumerate(FIELD_ORDER)}

_CHUNK = 1 << 20  # views per block when summing field costs

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def sigmoid(x: FloatArray) -> FloatArray:
    """The logistic function."""
    out: FloatArray = np.negative(x)  # in place from here: one array, not four
    np.exp(out, out=out)
    out += 1.0
    np.divide(1.0, out, out=out)
    return out


@dataclass
class Views:
    """One entry per simulated view (arrays of equal length), plus its field set."""

    day: IntArray  # days since params.start
    second: IntArray  # second of the day
    form: IntArray  # index into the forms tuple
    version: IntArray  # index into that form's versions
    device: IntArray  # index into DEVICES
    channel: IntArray  # index into CHANNELS
    z: FloatArray  # latent intent
    eta: FloatArray  # logit P(submit) before field costs
    win_logit: FloatArray  # w: logit P(win | submitted) before routing
    shown: BoolArray  # (views, fields): field shown on the view's form version
    optional: BoolArray  # (views, fields): shown as optional
    combo: IntArray  # the view's row in ``unit_cost``: form * (most versions) + version
    unit_cost: FloatArray  # (form versions, fields): friction at intent 0, 0 if not shown
    friction: FloatArray  # exp(-λ z): how much a field's cost weighs on this view
    total_cost: FloatArray  # this view's friction summed over its shown fields

    def __len__(self) -> int:
        return int(self.day.shape[0])

    def costs(self, rows: IntArray | slice, cols: list[int]) -> FloatArray:
        """(views ``rows``, fields ``cols``): each view's friction per shown field.

        Computed on demand: a (views, fields) float matrix is 1 GB at 10M views.
        """
        out: FloatArray = self.unit_cost[:, cols][self.combo[rows]] * self.friction[rows, None]
        return out


def realised_traffic(params: WorldParams, forms: tuple[FormDesign, ...]) -> dict[str, float]:
    """Share of its experiment's views each variant actually gets."""
    out: dict[str, float] = {}
    demo = [f for f in forms if f.experiment is not None]
    if params.broken_split:
        for f, s in zip(demo, params.broken_shares, strict=True):
            out[f.form_id] = float(s)
    else:
        total = sum(f.traffic or 0.0 for f in demo)
        for f in demo:
            out[f.form_id] = float((f.traffic or 0.0) / total)
    return out


def draw_views(params: WorldParams, forms: tuple[FormDesign, ...],
               rng: np.random.Generator) -> Views:
    """Simulate every view: when, which form, which segment, what intent, its base rates."""
    n, nd = params.n_views, params.n_days
    days = np.arange(nd)
    weekday = (params.start.weekday() + days) % 7
    weekend = weekday >= 5
    weight = np.where(weekend, 0.6, 1.0) * (1.0 + 0.3 * days / nd)
    day = rng.choice(nd, size=n, p=weight / weight.sum()).astype(np.int64)
    hours = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 11, 10, 8, 6, 5, 4, 3,
                      2, 1], dtype=float)
    second = (rng.choice(24, size=n, p=hours / hours.sum()) * 3600
              + rng.integers(0, 3600, size=n)).astype(np.int64)

    groups = list(dict.fromkeys(f.group for f in forms))
    group = rng.choice(len(groups), size=n, p=np.asarray(params.group_shares) / sum(
        params.group_shares))
    form = np.empty(n, dtype=np.int64)
    traffic = realised_traffic(params, forms)
    u = rng.random(n)
    for g, name in enumerate(groups):
        members = [i for i, f in enumerate(forms) if f.group == name]
        in_g = group == g
        if len(members) == 1:
            form[in_g] = members[0]
            continue
        cum = np.cumsum([traffic[forms[i].form_id] for i in members])
        pick = np.minimum(np.searchsorted(cum / cum[-1], u[in_g], side="right"), len(members) - 1)
        form[in_g] = np.asarray(members)[pick]

    version = np.zeros(n, dtype=np.int64)
    for i, f in enumerate(forms):
        starts = np.asarray([s for s, _, _ in f.versions])
        m = form == i
        version[m] = np.searchsorted(starts, day[m], side="right") - 1

    device = (rng.random(n) < DEVICE_SHARE[1]).astype(np.int64)
    channel = rng.choice(len(CHANNEL_SHARE), size=n, p=np.asarray(CHANNEL_SHARE)).astype(np.int64)
    intent_shift = np.asarray([f.intent_shift for f in forms])
    z = intent_shift[form] + np.asarray(CHANNEL_INTENT)[channel] + rng.standard_normal(n)

    shocks = rng.normal(0.0, params.day_shock_sd, size=(len(groups), nd)) \
        if params.day_shock_sd > 0 else np.zeros((len(groups), nd))
    group_of_form = np.asarray([groups.index(f.group) for f in forms])
    conv_intercept = np.asarray([f.conv_intercept for f in forms])
    eta = (conv_intercept[form] + np.asarray(DEVICE_CONV)[device]
           + np.asarray(CHANNEL_CONV)[channel] + params.time_trend * day / max(nd - 1, 1)
           + params.weekend_conv * weekend[day] + shocks[group_of_form[form], day]
           + params.intent_conv * z)
    if params.version_confound:
        for i, f in enumerate(forms):
            if len(f.versions) > 1:
                eta = eta + params.version_confound * ((form == i) & (version >= 1))
    win_intercept = np.asarray([f.win_intercept for f in forms])
    win_logit = win_intercept[form] + np.asarray(CHANNEL_WIN)[channel] + params.intent_win * z

    # one row per (form, version): which fields it shows, which as optional
    n_ver = max(len(f.versions) for f in forms)
    shown_table = np.zeros((len(forms) * n_ver, len(FIELD_ORDER)), dtype=bool)
    optional_table = np.zeros_like(shown_table)
    for i, f in enumerate(forms):
        for k, (_, fields, opt) in enumerate(f.versions):
            shown_table[i * n_ver + k, [FIELD_INDEX[x] for x in fields]] = True
            optional_table[i * n_ver + k, [FIELD_INDEX[x] for x in opt]] = True
    combo = form * n_ver + version
    shown, optional = shown_table[combo], optional_table[combo]
    base_cost = np.asarray([FIELDS[f].cost for f in FIELD_ORDER])
    opt_cost = np.asarray([FIELDS[f].cost_optional for f in FIELD_ORDER])
    unit = np.where(optional_table, opt_cost[None, :], base_cost[None, :]) * shown_table
    friction = np.exp(-params.intent_friction * z)
    total_cost = np.empty(n)
    every = list(range(len(FIELD_ORDER)))
    for lo in range(0, n, _CHUNK):  # row by row the same sums, without a (views, fields) matrix
        hi = min(lo + _CHUNK, n)
        chunk = unit[:, every][combo[lo:hi]] * friction[lo:hi, None]
        total_cost[lo:hi] = chunk.sum(axis=1)
    return Views(day=day, second=second, form=form, version=version, device=device,
                 channel=channel, z=z, eta=eta, win_logit=win_logit, shown=shown,
                 optional=optional, combo=combo, unit_cost=unit, friction=friction,
                 total_cost=total_cost)


def phone_junk_rate(params: WorldParams) -> float:
    """Probability that a submitted phone number is junk (cannot be called)."""
    return FIELDS["phone"].junk_rate() * params.junk_scale


def p_submit(v: Views, rows: IntArray | slice | None = None,
             removed: tuple[str, ...] = ()) -> FloatArray:
    """P(submit) for views ``rows`` with their own field set, minus the ``removed`` fields."""
    sel = slice(None) if rows is None else rows
    total = v.total_cost[sel]
    if removed:
        part = v.costs(sel, [FIELD_INDEX[f] for f in removed])
        total = total - part.sum(axis=1)
    return sigmoid(v.eta[sel] - total)


def q_win(v: Views, params: WorldParams, rows: IntArray | slice | None = None,
          removed: tuple[str, ...] = ()) -> FloatArray:
    """P(win within the horizon | submitted) for views ``rows``, without ``removed`` fields."""
    sel = slice(None) if rows is None else rows
    w = v.win_logit[sel]
    has_email = v.shown[sel, FIELD_INDEX["email"]] & ("email" not in removed)
    has_phone = v.shown[sel, FIELD_INDEX["phone"]] & ("phone" not in removed)
    base = sigmoid(w)
    # q = base + has_phone * (1 - j) * (σ(w + ρ) − base), 0 without email; in place, because
    # truth.json calls this once per field over up to every view
    q = sigmoid(w + params.phone_routing)
    q -= base
    q *= 1.0 - phone_junk_rate(params)
    q *= has_phone
    q += base
    q[~has_email] = 0.0
    return q
