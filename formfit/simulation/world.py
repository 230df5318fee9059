"""Assemble one world: views -> submissions (with people and junk) -> deals -> truth."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from formfit.simulation import text
from formfit.simulation import truth as tr
from formfit.simulation.behaviour import (
    FIELD_INDEX,
    Views,
    draw_views,
    p_submit,
    phone_junk_rate,
    q_win,
    realised_traffic,
    sigmoid,
)
from formfit.simulation.crm import make_deals
from formfit.simulation.design import (
    CHANNELS,
    DEVICES,
    FIELDS,
    FormDesign,
    WorldParams,
    default_forms,
)
from formfit.simulation.people import field_values, messy_emails, pick_earlier

SUBMISSION_KEYS = ("email", "form_id", "submitted_at", "session_id", "device", "channel")


@dataclass
class World:
    """A simulated world in memory: the inputs in the contract's shapes, and the truth.

    ``latent`` (not written to disk) holds per view its intent and generating probabilities,
    for tests that check realised data against the truth.
    """

    params: WorldParams
    submissions: pd.DataFrame
    views: pd.DataFrame
    views_daily: pd.DataFrame
    outcomes: pd.DataFrame
    forms: dict[str, Any]
    truth: dict[str, Any]
    latent: pd.DataFrame

    def __repr__(self) -> str:
        return (f"<World seed={self.params.seed}: {len(self.views)} views, "
                f"{len(self.submissions)} submission rows, {len(self.outcomes)} deals>")


def session_ids(rng: np.random.Generator, n: int) -> tuple[np.ndarray, pd.Series]:
    """n distinct 10-hex-digit session ids (a bijective mix of a permutation: no collisions).

    Returns the ids as integers (their sort order is the strings' order) and as strings.
    """
    mask = np.uint64((1 << 40) - 1)
    x = (rng.permutation(n).astype(np.uint64) + np.uint64(rng.integers(0, 1 << 40))) & mask
    with np.errstate(over="ignore"):
        for shift, mult in ((17, 0x9E3779B97F), (13, 0xBF58476D1D), (11, 0x94D049BB13)):
            x ^= x >> np.uint64(shift)
            x = (x * np.uint64(mult)) & mask
    raw = np.frombuffer(x.astype(">u8").tobytes().hex().encode(), dtype="S16")
    return x, text.from_fixed_bytes(raw.view(np.uint8).reshape(n, 16)[:, 6:].copy().view("S10")
                                    .ravel())


def _daily(params: WorldParams, forms: tuple[FormDesign, ...], v: Views,
           submitted: np.ndarray) -> pd.DataFrame:
    """Views and converted views per (form_id, date, device, channel), sorted by those."""
    names = [f.form_id for f in forms]
    f_rank = np.argsort(np.argsort(names))  # sort cells by the text, as a CSV reader would
    c_rank = np.argsort(np.argsort(CHANNELS))
    d_rank = np.argsort(np.argsort(DEVICES))
    nd, ndev, nch = params.n_days, len(DEVICES), len(CHANNELS)
    key = ((f_rank[v.form] * nd + v.day) * ndev + d_rank[v.device]) * nch + c_rank[v.channel]
    size = len(forms) * nd * ndev * nch
    views = np.bincount(key, minlength=size)
    subs = np.bincount(key, weights=submitted.astype(float), minlength=size).astype(np.int64)
    cell = np.nonzero(views)[0]
    rest, ch = np.divmod(cell, nch)
    rest, dev = np.divmod(rest, ndev)
    form, day = np.divmod(rest, nd)
    return pd.DataFrame({
        "form_id": text.from_codes(np.argsort(f_rank)[form], names),
        "date": text.dates(params.start, day),
        "device": text.from_codes(np.argsort(d_rank)[dev], DEVICES),
        "channel": text.from_codes(np.argsort(c_rank)[ch], CHANNELS),
        "views": views[cell].astype(np.int64),
        "submissions": subs[cell],
    })


def forms_config(forms: tuple[FormDesign, ...], params: WorldParams) -> dict[str, Any]:
    """The forms file (contract format) for the planted design."""
    catalogue: dict[str, Any] = {}
    for name, model in FIELDS.items():
        entry = {k: v for k, v in (("protected", model.protected), ("owner", model.owner)) if v}
        if entry:
            catalogue[name] = entry
    out: dict[str, Any] = {}
    for f in forms:
        spec: dict[str, Any] = {}
        if f.experiment:
            spec["experiment"] = f.experiment
            spec["traffic"] = f.traffic
        if len(f.versions) == 1:
            _, fields, opt = f.versions[0]
            spec["fields"] = list(fields)
            if opt:
                spec["optional"] = list(opt)
        else:
            spec["versions"] = []
            for start, fields, opt in f.versions:
                ver: dict[str, Any] = {"since": params.start + timedelta(days=start),
                                       "fields": list(fields)}
                if opt:
                    ver["optional"] = list(opt)
                spec["versions"].append(ver)
        out[f.form_id] = spec
    return {"version": 1, "fields": catalogue, "forms": out}


def simulate_world(params: WorldParams | None = None) -> World:
    """Simulate a world from ``params`` (defaults: ``WorldParams()``). Deterministic in seed."""
    params = params or WorldParams()
    params.validate()
    rng = np.random.default_rng(params.seed)
    forms = default_forms(params)
    traffic = realised_traffic(params, forms)
    v = draw_views(params, forms, rng)
    n = len(v)
    p1 = p_submit(v)
    q1 = q_win(v, params)
    submitted = rng.random(n) < p1
    session_key, sessions = session_ids(rng, n)
    view_sec = v.day * 86400 + v.second
    delay = (45 + rng.lognormal(np.log(180.0), 0.6, n)).astype(np.int64)

    # submission rows, in time order
    rows = np.nonzero(submitted)[0]
    sub_sec = view_sec[rows] + delay[rows]
    order = np.lexsort((session_key[rows], sub_sec))
    rows, sub_sec = rows[order], sub_sec[order]
    sub_day = sub_sec // 86400
    ns = rows.shape[0]
    shown, optional = v.shown[rows], v.optional[rows]

    wants_repeat = rng.random(ns) < params.repeat_rate
    original = pick_earlier(rng, sub_day, ~wants_repeat, wants_repeat)
    repeat = original >= 0
    lead = ~repeat  # a lead's first submission: the one analysed

    phone_shown = shown[:, FIELD_INDEX["phone"]]
    phone_junk = phone_shown & (rng.random(ns) < phone_junk_rate(params))
    routed = phone_shown & ~phone_junk
    q_real = np.where(shown[:, FIELD_INDEX["email"]],
                      sigmoid(v.win_logit[rows] + params.phone_routing * routed), 0.0)
    won = lead & (rng.random(ns) < q_real)

    values = field_values(rng, params, v.z[rows], shown, optional, phone_junk)
    src = np.where(repeat, original, np.arange(ns))  # repeats reuse their lead's identity
    base_email = values["email"].to_numpy(dtype=object)[src]
    for col in ("first_name", "last_name"):
        own = values[col].to_numpy(dtype=object)
        kept = own[src]
        kept[~shown[:, FIELD_INDEX[col]]] = None
        values[col] = pd.Series(kept, dtype="str")
    phone = values["phone"].to_numpy(dtype=object)
    keep_phone = repeat & phone_shown & phone_shown[src]
    phone[keep_phone] = phone[src][keep_phone]
    values["phone"] = pd.Series(phone, dtype="str")
    base = pd.Series(base_email, dtype="str")
    values["email"] = messy_emails(rng, base)

    form_ids = [f.form_id for f in forms]
    subs = pd.DataFrame({
        "email": values["email"],
        "form_id": text.from_codes(v.form[rows], form_ids),
        "submitted_at": text.timestamps(params.start, sub_sec, sep=" "),
        "session_id": sessions.iloc[rows].reset_index(drop=True),
        "device": text.from_codes(v.device[rows], DEVICES),
        "channel": text.from_codes(v.channel[rows], CHANNELS),
    })
    for name in FIELDS:
        if name != "email":
            subs[name] = values[name]
    subs = subs.astype("str")
    n_dup = int(round(params.duplicate_rate * ns))
    dup = np.sort(rng.choice(ns, size=n_dup, replace=False)) if n_dup else np.zeros(0, np.int64)
    pos = np.concatenate([np.arange(ns), dup])
    submissions = subs.iloc[np.sort(pos, kind="stable")].reset_index(drop=True)

    # deals, for analysed leads only
    lead_rows = np.nonzero(lead)[0]
    newsletter_idx = [i for i, f in enumerate(forms) if f.form_id == "newsletter"]
    is_news = np.isin(v.form[rows][lead_rows], newsletter_idx)
    deals = make_deals(rng, params, sub_day[lead_rows], won[lead_rows], is_news)
    as_of_day = (params.export_date - params.start).days
    deals = deals[deals["created"] <= as_of_day].reset_index(drop=True)
    outcomes = _outcomes_frame(rng, params, deals, base.to_numpy(dtype=object)[lead_rows],
                               values["email"].to_numpy(dtype=object)[lead_rows], as_of_day)
    junk = _junk(params, subs, lead, shown)
    del values, subs, base  # 0.6 GB at 10M views; the written rows live on in `submissions`

    vorder = np.lexsort((session_key, view_sec))
    views = pd.DataFrame({
        "session_id": sessions.iloc[vorder].reset_index(drop=True),
        "form_id": text.from_codes(v.form[vorder], form_ids),
        "viewed_at": text.timestamps(params.start, view_sec[vorder]),
        "device": text.from_codes(v.device[vorder], DEVICES),
        "channel": text.from_codes(v.channel[vorder], CHANNELS),
    })
    del vorder, view_sec, delay, session_key  # at 10M views each is 80 MB
    views_daily = _daily(params, forms, v, submitted)
    # copy=False: the arrays are not changed later, and a copy is 330 MB at 10M views
    latent = pd.DataFrame({"session_id": sessions, "form_id": text.from_codes(v.form, form_ids),
                           "day": v.day, "intent": v.z, "p_submit": p1, "q_win": q1,
                           "submitted": submitted}, copy=False)

    truth = _truth(v, params, forms, traffic, junk=junk, lead=lead, repeat=repeat,
                   n_dup=n_dup, won=won, deals=deals, outcomes=outcomes)
    return World(params=params, submissions=submissions, views=views, views_daily=views_daily,
                 outcomes=outcomes, forms=forms_config(forms, params), truth=truth,
                 latent=latent)


def _outcomes_frame(rng: np.random.Generator, params: WorldParams, deals: pd.DataFrame,
                    base_email: np.ndarray, typed_email: np.ndarray,
                    as_of_day: int) -> pd.DataFrame:
    nd = len(deals)
    lead = deals["lead"].to_numpy()
    closed = deals["closed"].to_numpy() <= as_of_day
    won = deals["won"].to_numpy()
    outcome = np.where(closed, np.where(won, "won", "lost"), "open").astype(object)
    caps = rng.random(nd) < 0.05
    outcome[caps] = pd.Series(outcome[caps], dtype="str").str.capitalize().to_numpy(dtype=object)
    amount = np.exp(rng.normal(params.amount_mu, params.amount_sigma, nd))
    amount_txt = pd.Series(np.round(amount, 2)).map("{:.2f}".format).to_numpy(dtype=object)
    amount_txt[~(closed & won)] = ""
    u = rng.random(nd)
    email = np.where(u < 0.6, base_email[lead],
                     np.where(u < 0.9, pd.Series(typed_email[lead], dtype="str").str.strip(),
                              pd.Series(base_email[lead], dtype="str").str.upper()))
    closed_txt = text.dates(params.start, deals["closed"].to_numpy()).to_numpy(dtype=object)
    closed_txt[~closed] = ""
    return pd.DataFrame({
        "deal_id": "D" + pd.Series(np.arange(1, nd + 1)).astype("str").str.zfill(6),
        "email": email,
        "created_at": text.dates(params.start, deals["created"].to_numpy()),
        "closed_at": closed_txt,
        "outcome": outcome,
        "amount": amount_txt,
    }).astype("str")


def _junk(params: WorldParams, submissions: pd.DataFrame, lead: np.ndarray,
          shown: np.ndarray) -> dict[str, Any]:
    """Planted and realised junk per field, over the leads whose form shows it."""
    junk: dict[str, Any] = {}
    for name, model in FIELDS.items():
        if not model.junk:
            continue
        col = shown[lead, FIELD_INDEX[name]]
        values = submissions[name].to_numpy(dtype=object)[lead][col]
        junk_values = [j for j, _ in model.junk]
        count = int(np.isin(values, junk_values).sum())
        scale = 1.0 if name == "phone" else params.junk_scale
        junk[name] = {"values": junk_values,
                      "planted_rate": tr._r(model.junk_rate() * scale),
                      "leads_shown": int(col.sum()), "junk_leads": count}
    return junk


def _truth(v: Views, params: WorldParams, forms: tuple[FormDesign, ...],
           traffic: dict[str, float], *, junk: dict[str, Any], lead: np.ndarray,
           repeat: np.ndarray, n_dup: int, won: np.ndarray, deals: pd.DataFrame,
           outcomes: pd.DataFrame) -> dict[str, Any]:
    kinds = outcomes["outcome"].str.lower().value_counts()
    p = asdict(params)
    p["start"] = params.start.isoformat()
    p["as_of"] = params.export_date.isoformat()
    return {
        "schema": "formfit-simulate-truth/1",
        "seed": params.seed,
        "as_of": params.export_date.isoformat(),
        "horizon_days": params.horizon_days,
        "day_shock_sd": params.day_shock_sd,
        "broken_split": params.broken_split,
        "segments": ["device", "channel"],
        "amount_mean": tr._r(tr.amount_mean(params)),
        "estimands": (
            "per field f over the views V_f whose form version shows f: conversion_pp = "
            "100*mean(p0-p1); win_rate_pp = 100*(sum p0 q0/sum p0 - sum p1 q1/sum p1); "
            "wins_per_1k_views = 1000*mean(p0 q0 - p1 q1); revenue = wins * amount_mean. "
            "p: P(submit), q: P(win within horizon | submitted); 1: as shown, 0: without the "
            "field (aliased: without its whole group, listed in `removed`)."),
        "fields": tr.field_truth(v, params, forms),
        "joint_effects": [tr.joint_truth(v, params, forms, ("phone", "how_did_you_hear"))],
        "win_timing": tr.win_timing(params),
        "forms": tr.form_truth(v, params, forms, traffic),
        "experiments": {
            "demo": {"planned_traffic": {f.form_id: f.traffic for f in forms if f.experiment},
                     "generating_traffic": traffic,
                     "views": {f.form_id: int((v.form == i).sum())
                               for i, f in enumerate(forms) if f.experiment}}},
        "junk": junk,
        "counts": {
            "views": len(v),
            "submission_rows": int(lead.shape[0]) + n_dup,
            "duplicate_rows": n_dup,
            "repeat_submissions": int(repeat.sum()),
            "leads": int(lead.sum()),
            "leads_winning": int(won.sum()),
            "deals": len(outcomes),
            "deals_won": int(kinds.get("won", 0)),
            "deals_lost": int(kinds.get("lost", 0)),
            "deals_open": int(kinds.get("open", 0)),
        },
        "params": p,
    }
