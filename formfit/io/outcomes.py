"""Outcomes: one row per deal, with won / lost / open resolved from any of three layouts.

``outcome`` (won, lost, open, any case; other values through the config's stage map),
Salesforce-style ``is_won`` / ``is_closed`` booleans, or a CRM ``stage`` with a stage map.
Deals join to submissions on the same lead key; deals that match no analysed lead are counted
(``no_matching_lead``) and reported, never silently dropped.

A key column that a preset marks as holding several keys per cell (HubSpot's deals export:
``Associated Contact IDs``, ``;``-separated) joins a deal to every analysed lead it names: each
of them counts the deal (won, lost or open), and its amount is counted once, for the lead that
submitted first (then the smaller key), 0 for the others, so revenue is never double counted.
Accounting stays per input row: a deal is used when any of its keys is an analysed lead.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from formfit.cells.keys import is_in_text, positions_in
from formfit.config import Settings
from formfit.errors import InputError
from formfit.inputs import Accounting, Notice
from formfit.io.columns import require
from formfit.io.readers import RawTable
from formfit.io.submissions import LeadKey, normalise_key
from formfit.io.table import duplicated_rows
from formfit.io.values import parse_bools, parse_dates, parse_numbers, rows_text
from formfit.parallel import in_threads
from formfit.personal import PLACEHOLDERS, masked, quoted

OUTCOMES = ("won", "lost", "open")
MAX_VALUES = 10


@dataclass
class OutcomesLoad:
    deals: pd.DataFrame
    accounting: Accounting
    notices: list[Notice] = field(default_factory=list)


def load_outcomes(table: RawTable, settings: Settings, key: LeadKey,
                  leads: Collection[str], submitted_at: pd.Series | None = None
                  ) -> OutcomesLoad:
    """Validate and account for a deals export; keep the deals of analysed leads.

    ``submitted_at`` (aligned with ``leads``) says which of a shared deal's leads submitted
    first: that one gets the deal's amount (see the module's docstring)."""
    require(table, [key.column, ("outcome", "is_won", "stage")], extra_hint={
        "outcome": "Outcomes need `outcome` (won/lost/open), or `is_won` (with `is_closed`), "
                   "or `stage` with a `stages:` map in the config."})
    df = table.frame
    acc = Accounting(rows_read=len(df) + sum(table.excluded.values()))
    for reason, n in table.excluded.items():  # rows a preset's row filter took out
        acc.exclude(reason, n)
    notices: list[Notice] = []
    outcome = _resolve_outcome(table, settings)
    # independent column checks, two at a time (hashing in DuckDB, parsing per distinct
    # value, comparing rows: 1M deals took 1.5 s one after another); an error is raised as
    # the first of them in this order would raise it
    known = leads if isinstance(leads, pd.Series) else pd.Series(list(leads), dtype="str")

    sep = table.separators.get(key.column)

    def matches() -> tuple[pd.Series, np.ndarray, pd.DataFrame | None]:
        # text looked up by hashes on every core (formfit.cells.keys): pandas' isin on Arrow
        # strings walks the value set in Python (17 s for 230k leads x 1M deals)
        if sep is not None:  # several ids in one cell (HubSpot's associations)
            return _split_matches(df[key.column], key.column, sep, known)
        lead_key = key.values(df)
        return lead_key, is_in_text(lead_key, known), None

    def no_dates() -> pd.Series:
        return pd.Series(np.full(len(df), np.datetime64("NaT"), "datetime64[ns]"),
                         index=df.index)

    tasks: list[Callable[[], Any]] = [
        (lambda: parse_numbers(table, "amount", counts=False)) if "amount" in df.columns
        else (lambda: pd.Series(np.nan, index=df.index, dtype="float64")),
        *[partial(parse_dates, table, c) if c in df.columns else no_dates
          for c in ("created_at", "closed_at")],
        lambda: duplicated_rows(df),
        matches,
    ]
    amount, created_at, closed_at, dup, (lead_key, matched, pairs) = in_threads(
        lambda task: task(), tasks)
    dates = {"created_at": created_at, "closed_at": closed_at}
    acc.exclude("duplicate_row", int(dup.sum()))
    no_key = ~dup & lead_key.isna().to_numpy()
    acc.exclude("missing_lead_key", int(no_key.sum()))
    keyed = ~dup & ~no_key
    unmatched = keyed & ~matched
    n_unmatched = int(unmatched.sum())
    acc.exclude("no_matching_lead", n_unmatched)
    if n_unmatched:
        share = n_unmatched / max(int(keyed.sum()), 1)
        msg = (f"{n_unmatched:,} deals ({share:.1%} of deals with a lead key) match no analysed "
               "lead and are left out.")
        if share == 1:
            msg += (f" None matched: check that {table.name} and the submissions use the same "
                    f"{key} values.")
        notices.append(Notice("UNMATCHED_OUTCOMES", msg,
                              {"input": "outcomes", "rows": n_unmatched, "share": share}))
    keep = keyed & matched
    if pairs is not None:
        pairs = pairs.loc[keep[pairs["row"].to_numpy()]]
        rows = pairs["row"].to_numpy()
        credit, shared = _credit_first(pairs, known, submitted_at)
        deals = pd.DataFrame({
            "lead_key": pairs["lead_key"].astype("str").to_numpy(),
            "outcome": outcome.to_numpy()[rows],
            "amount": np.where(credit, amount.to_numpy(dtype="float64")[rows], 0.0),
            "created_at": dates["created_at"].to_numpy()[rows],
            "closed_at": dates["closed_at"].to_numpy()[rows],
        })
        deals["outcome"] = deals["outcome"].astype("str")
        if shared:
            n_leads = int(np.isin(rows, np.flatnonzero(np.bincount(rows) > 1)).sum())
            notices.append(Notice(
                "SHARED_DEALS",
                f"{shared:,} deals are associated with more than one analysed lead ({n_leads:,} "
                "leads in all): each of those leads counts the deal, and its amount is counted "
                "once, for the lead that submitted first, so revenue is not double counted.",
                {"input": "outcomes", "rows": shared, "leads": n_leads}))
        return OutcomesLoad(deals, acc, notices)
    deals = pd.DataFrame({
        "lead_key": lead_key[keep].astype("str"),
        "outcome": outcome[keep].astype("str"),
        "amount": amount[keep].astype("float64"),
        "created_at": dates["created_at"][keep],
        "closed_at": dates["closed_at"][keep],
    }).reset_index(drop=True)
    return OutcomesLoad(deals, acc, notices)


def _split_matches(values: pd.Series, key: str, sep: str, known: pd.Series
                   ) -> tuple[pd.Series, np.ndarray, pd.DataFrame]:
    """Per row of a key column holding several keys per cell: its first key (missing when it
    has none), whether any of its keys is an analysed lead, and the distinct (row, lead_key)
    pairs that are."""
    n = len(values)
    parts = pd.Series(values.to_numpy(), index=pd.RangeIndex(n)).astype("str").str.split(sep)
    exploded = parts.explode()
    row = exploded.index.to_numpy(dtype=np.int64)
    keys = normalise_key(exploded.reset_index(drop=True), key)
    has = keys.notna().to_numpy()
    pairs = pd.DataFrame({"row": row[has], "lead_key": keys[has].to_numpy()})
    pairs = pairs.drop_duplicates(ignore_index=True)  # "101;101" names one lead
    hit = is_in_text(pairs["lead_key"], known)
    matched = np.bincount(pairs["row"].to_numpy()[hit], minlength=n)[:n] > 0
    first = pairs.drop_duplicates("row")
    lead_key = pd.Series(pd.NA, index=values.index, dtype="str")
    lead_key.iloc[first["row"].to_numpy()] = first["lead_key"].to_numpy()
    return lead_key, matched, pairs.loc[hit].reset_index(drop=True)


def _credit_first(pairs: pd.DataFrame, known: pd.Series,
                  submitted_at: pd.Series | None) -> tuple[np.ndarray, int]:
    """For (row, lead_key) pairs of matched deals: which pair gets the deal's amount (its
    lead submitted first; blank dates last; then the smaller key), and how many deals have
    more than one lead."""
    rows = pairs["row"].to_numpy()
    if len(rows) == 0:
        return np.zeros(0, dtype=bool), 0
    if submitted_at is not None:
        pos = positions_in(pairs["lead_key"], known)
        when = pd.Series(submitted_at).to_numpy(dtype="datetime64[ns]")[pos]
    else:
        when = np.full(len(rows), np.datetime64("NaT"), "datetime64[ns]")
    nat = np.isnat(when)
    key_rank = pd.factorize(pairs["lead_key"].astype("str"), sort=True)[0]
    order = np.lexsort((key_rank, when.view(np.int64), nat, rows))
    credit = np.zeros(len(rows), dtype=bool)
    first_of_row = np.ones(len(order), dtype=bool)
    first_of_row[1:] = rows[order][1:] != rows[order][:-1]
    credit[order[first_of_row]] = True
    return credit, int((np.bincount(rows) > 1).sum())


def _resolve_outcome(table: RawTable, settings: Settings) -> pd.Series:
    df = table.frame
    stage_map = {k.casefold(): v for k, v in settings.stage_map}
    if "outcome" in df.columns:
        return _map_words(table, "outcome", {**stage_map, **{o: o for o in OUTCOMES}})
    if "is_won" in df.columns:
        won = parse_bools(table, "is_won")
        if "is_closed" in df.columns:
            closed = parse_bools(table, "is_closed")
        elif settings.all_closed:
            closed = pd.Series(True, index=df.index)
        elif "stage" in df.columns and stage_map:
            return _won_by_stage(table, won, _map_words(table, "stage", stage_map))
        else:
            stage_hint = ("map each of its stages to won, lost or open under `stages:` in the "
                          "config file (then the stage tells open deals from closed ones), or "
                          if "stage" in df.columns else "")
            raise InputError(
                f"outcomes file {table.name} has is_won but no is_closed column"
                f"{' and no stage map' if 'stage' in df.columns else ''}, so open deals "
                "cannot be told from lost ones.",
                f"Export is_closed too (or map a column to it with --map), {stage_hint}"
                "only if no deal in the export is open (every one won or lost) say so with "
                "`outcomes: {all_closed: true}` in the config file: with open deals in the "
                "file, all_closed would count them as lost.")
        out = np.where(won.to_numpy(), "won", np.where(closed.to_numpy(), "lost", "open"))
        return pd.Series(out, index=df.index, dtype="str")
    if not stage_map:
        values = _distinct(df["stage"].fillna("(blank)"))
        example = "\n".join(f"    {_yaml_pair(v)}" for v in _mappable(values))
        raise InputError(
            f"outcomes file {table.name} has a stage column but no stage map; its stages are: "
            f"{_list_values(values)}.",
            "Tell formfit what each stage means in the config file (--config), e.g.\n"
            f"  stages:\n{example}")
    return _map_words(table, "stage", stage_map)


def _won_by_stage(table: RawTable, won: pd.Series, by_stage: pd.Series) -> pd.Series:
    """Outcomes from is_won and the stage map, for exports without is_closed (a Salesforce
    report's Won checkbox beside its Stage, HubSpot's Is Closed Won beside its Deal Stage):
    the stage says whether a deal is open or closed, is_won whether a closed deal is won. The
    two must agree (a deal the stage map calls won is won, one it calls lost or open is not);
    a row where they disagree is an error, since either the stage map or the export is wrong
    and guessing would count a deal wrongly."""
    stage_won = (by_stage == "won").to_numpy()
    flag = won.to_numpy(dtype=bool)
    bad = stage_won != flag
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        n_bad = int(bad.sum())
        stage = table.frame["stage"].iloc[pos]
        meaning = str(by_stage.iloc[pos])
        raise InputError(
            f"outcomes file {table.name}: stage and is_won disagree in {rows_text(n_bad)}; the "
            f"first is {table.unit} {table.number(pos):,} ({table.convention}), whose stage "
            f"{quoted(masked(str(stage).strip()))} the stage map reads as {meaning} while its "
            f"is_won is {'true' if flag[pos] else 'false'}.",
            "Without an is_closed column formfit reads open and closed from the stage and won "
            "from is_won, so they must agree. Correct that stage's line under `stages:` in the "
            "config file (a won stage maps to won; a stage whose deals can still be won maps "
            "to open), or export is_closed too (then is_won and is_closed decide).")
    return by_stage


def _map_words(table: RawTable, column: str, mapping: Mapping[str, str]) -> pd.Series:
    s = table.frame[column]
    # each distinct stage once (a million deals hold a handful of stages), then every row
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    words = pd.Series(uniques, dtype="str")
    # blanks are the level "(blank)", so the stage map the hint suggests can place them
    low = words.str.strip().str.casefold().fillna("(blank)")
    mapped = pd.Series(low.map(dict(mapping)).to_numpy(dtype=object)[codes], index=s.index,
                       dtype="str")
    bad = mapped.isna().to_numpy()
    if bad.any():
        values = _distinct(s[bad].fillna("(blank)"))
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"outcomes file {table.name}: {column} has values that are not won, lost or open: "
            f"{_list_values(values)}; the first is in {table.unit} {table.number(pos):,} "
            f"({table.convention}).",
            "Map each CRM value in the config file (--config), e.g.\n  stages:\n"
            + "\n".join(f"    {_yaml_pair(v)}" for v in _mappable(values)))
    return mapped.astype("str")


def _distinct(s: pd.Series) -> dict[str, int]:
    """Distinct values with counts, most common first. A value that identifies a person (an
    email address, a phone number or a name typed into the stage column: see
    :func:`formfit.personal.value_kind`) is counted under its kind, never shown, and gets no
    line in the suggested stage map."""
    counts = s.astype("str").str.strip().value_counts(dropna=False)
    out: dict[str, int] = {}
    for k, v in counts.items():
        key = masked(str(k))
        out[key] = out.get(key, 0) + int(v)
    return out


def _mappable(values: Mapping[str, int]) -> list[str]:
    """The values a stage map can name (not the kinds standing in for personal data)."""
    return [v for v in values if v not in PLACEHOLDERS][:MAX_VALUES]


def _list_values(values: Mapping[str, int]) -> str:
    items = list(values.items())
    text = ", ".join(f"{quoted(k)} ({v:,} {'row' if v == 1 else 'rows'})"
                     for k, v in items[:MAX_VALUES])
    if len(items) > MAX_VALUES:
        text += f", and {len(items) - MAX_VALUES} more"
    return text


def _yaml_pair(value: str) -> str:
    """'Closed Won: won' as a YAML line that reads back as written when pasted (quoted when the
    stage looks like a number, a boolean or holds a colon)."""
    import yaml

    return yaml.safe_dump({value: _guess(value)}, allow_unicode=True,
                          default_flow_style=False, width=1000).strip()


def _guess(value: str) -> str:
    """A starting guess for the stage map: the user checks it before use."""
    low = value.casefold()
    if "won" in low or "win" in low or "closed won" in low:
        return "won"
    if "lost" in low or "lose" in low or "dead" in low or "disqualif" in low:
        return "lost"
    return "open"
