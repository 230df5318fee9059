"""Fake people and the values they type: names, emails, phones, answers, and junk.

No real people: names are common first and last names combined at random, emails use the
reserved ``example.*`` domains and the ``.example`` top-level domain (RFC 2606), phone numbers
use the fictional ranges ``555-01xx`` (North America) and ``07700 900xxx`` (UK, Ofcom drama).

What the values know (the ``predictive`` flag in ``design.FIELDS``): company_size, budget,
seniority and timeline are drawn from the lead's latent intent, which also drives winning;
how_did_you_hear, job_title, message and the names are drawn independently of it. Junk values
("Select", "asdf", "0000000000", ...) replace a submitted value at constant rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formfit.simulation.behaviour import FIELD_INDEX, BoolArray, FloatArray, IntArray
from formfit.simulation.design import FIELDS, OPTIONAL_FILL, WorldParams

FIRST = ("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
         "Sarah", "Chris", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra",
         "Mark", "Ashley", "Paul", "Emily", "Steven", "Donna", "Andrew", "Michelle", "Joshua",
         "Carol", "Kevin", "Amanda", "Brian", "Melissa", "Priya", "Wei", "Sofia", "Lucas",
         "Amara", "Mateo", "Yuki", "Omar", "Ingrid", "Jane")
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
        "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
        "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen",
        "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Patel", "Kim", "Muller",
        "Rossi", "Novak", "Larsen", "Okafor", "Tanaka", "Silva", "Doe")
DOMAINS = ("example.com", "example.org", "example.net", "acme.example", "globex.example",
           "initech.example", "mail.example")
AREA_CODES = ("212", "312", "415", "617", "646", "702", "206", "303", "512", "404")

COMPANY_SIZE = ("1-10", "11-50", "51-200", "201-1000", "1000+")
SENIORITY = ("Individual contributor", "Manager", "Director", "VP", "C-level")
TIMELINE = ("Just researching", "This year", "This quarter", "This month")
HOW_DID_YOU_HEAR = ("Google", "LinkedIn", "Friend or colleague", "Podcast", "Conference",
                    "Newsletter", "Twitter", "YouTube", "Reddit", "Blog post", "Partner",
                    "G2 review", "Webinar", "Other")
HDYH_WEIGHTS = (0.22, 0.16, 0.12, 0.05, 0.06, 0.05, 0.04, 0.05, 0.03, 0.06, 0.04, 0.04, 0.03,
                0.05)
JOB_TITLES = ("Marketing Manager", "Head of Growth", "Sales Director", "CEO", "CTO",
              "Operations Manager", "Demand Gen Lead", "Product Manager", "Founder",
              "Marketing Coordinator", "RevOps Analyst", "VP Sales", "Account Executive",
              "Data Analyst", "Software Engineer", "CMO", "Office Manager", "Consultant",
              "Customer Success Manager", "Procurement Specialist")
MESSAGES = ("Interested in a demo for our team.", "Can you send pricing?",
            "Looking for an alternative to our current tool.", "Please call me back.",
            "Do you integrate with Salesforce?", "We need this for about 20 users.",
            "Question about the enterprise plan.", "Is there a free trial?",
            "Want to understand onboarding time.", "Following up on the webinar.",
            "Need a quote for next quarter.", "Just browsing for now.")


def _ordered(rng: np.random.Generator, z: FloatArray, slope: float, cuts: tuple[float, ...],
             levels: tuple[str, ...]) -> np.ndarray:
    latent = slope * z + rng.standard_normal(z.shape[0])
    return np.asarray(levels, dtype=object)[np.searchsorted(np.asarray(cuts), latent)]


def base_emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> pd.Series:
    """Unique lower-case emails, one per person (a unique number makes them unique)."""
    n = first.shape[0]
    number = pd.Series(rng.permutation(max(3 * n, 10))[:n] + 1).astype(str)
    f = pd.Series(first).str.lower()
    la = pd.Series(last).str.lower()
    style = rng.integers(0, 4, size=n)
    local = pd.Series(np.select(
        [style == 0, style == 1, style == 2],
        [f + "." + la, f, f.str[0] + la], default=f + "_" + la), dtype="str") + number
    domain = pd.Series(np.asarray(DOMAINS, dtype=object)[rng.integers(0, len(DOMAINS), n)])
    return (local + "@" + domain).astype("str")


def messy_emails(rng: np.random.Generator, email: pd.Series) -> pd.Series:
    """The same emails as people type them: mixed case, stray spaces."""
    n = len(email)
    u = rng.random(n)
    out = email.copy()
    title = u < 0.20
    out[title] = email[title].str.title()
    dom = (u >= 0.20) & (u < 0.28)
    parts = email[dom].str.split("@", n=1, regex=False)
    out[dom] = parts.str[0] + "@" + parts.str[1].str.capitalize()
    upper = (u >= 0.28) & (u < 0.31)
    out[upper] = email[upper].str.upper()
    s = rng.random(n)
    out[s < 0.04] = out[s < 0.04] + " "
    lead = (s >= 0.04) & (s < 0.06)
    out[lead] = " " + out[lead]
    return out


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fictional phone numbers in a few formats."""
    area = np.asarray(AREA_CODES, dtype=object)[rng.integers(0, len(AREA_CODES), n)]
    line = pd.Series(rng.integers(100, 200, n)).astype(str).str.zfill(4).to_numpy(dtype=object)
    uk = pd.Series(rng.integers(900000, 901000, n)).astype(str).to_numpy(dtype=object)
    style = rng.integers(0, 4, n)
    return np.select([style == 0, style == 1, style == 2],
                     ["(" + area + ") 555-" + line, "+1 " + area + " 555 " + line,
                      area + "-555-" + line], default="07700 " + uk)


def field_values(rng: np.random.Generator, params: WorldParams, z: FloatArray, shown: BoolArray,
                 optional: BoolArray, phone_junk: BoolArray) -> pd.DataFrame:
    """The value every submission row typed into every field (<NA> where not shown or blank).

    ``z``: each row's intent; ``shown``/``optional``: the row's field set; ``phone_junk``: rows
    whose phone number is junk (drawn by the caller because it also decides routing).
    Junk replaces only values that were typed (never an optional field left blank).
    """
    n = int(z.shape[0])
    first = np.asarray(FIRST, dtype=object)[rng.integers(0, len(FIRST), n)]
    last = np.asarray(LAST, dtype=object)[rng.integers(0, len(LAST), n)]
    email = base_emails(rng, first, last)
    budget = np.maximum(np.round(np.exp(8.8 + 0.7 * z + 0.7 * rng.standard_normal(n)) / 500), 1)
    values: dict[str, np.ndarray] = {
        "email": email.to_numpy(dtype=object),
        "first_name": first,
        "last_name": last,
        "phone": phones(rng, n),
        "company_size": _ordered(rng, z, 0.9, (-0.8, 0.2, 1.1, 1.9), COMPANY_SIZE),
        "how_did_you_hear": np.asarray(HOW_DID_YOU_HEAR, dtype=object)[
            rng.choice(len(HOW_DID_YOU_HEAR), size=n, p=np.asarray(HDYH_WEIGHTS)
                       / sum(HDYH_WEIGHTS))],
        "budget": pd.Series((budget * 500).astype(np.int64)).astype(str).to_numpy(dtype=object),
        "job_title": np.asarray(JOB_TITLES, dtype=object)[rng.integers(0, len(JOB_TITLES), n)],
        "seniority": _ordered(rng, z, 0.7, (-0.2, 0.7, 1.4, 2.0), SENIORITY),
        "timeline": _ordered(rng, z, 0.8, (0.0, 0.8, 1.6), TIMELINE),
        "message": np.asarray(MESSAGES, dtype=object)[rng.integers(0, len(MESSAGES), n)],
        "consent": np.full(n, "yes", dtype=object),
    }
    out = {}
    for name, model in FIELDS.items():
        col = values[name].copy()
        k = FIELD_INDEX[name]
        typed = shown[:, k].copy()
        if name in OPTIONAL_FILL:
            a, b = OPTIONAL_FILL[name]
            filled = rng.random(n) < 1.0 / (1.0 + np.exp(-(a + b * z)))
            typed &= ~optional[:, k] | filled
        if name == "phone":
            junk_idx = np.where(phone_junk, rng.random(n) * model.junk_rate(), np.inf)
            col = _apply_junk(col, np.asarray(junk_idx), model.junk, 1.0)
        elif model.junk:
            col = _apply_junk(col, rng.random(n), model.junk, params.junk_scale)
        col[~typed] = None
        out[name] = pd.Series(col, dtype="str")
    return pd.DataFrame(out)


def _apply_junk(col: np.ndarray, u: np.ndarray, junk: tuple[tuple[str, float], ...],
                scale: float) -> np.ndarray:
    lo = 0.0
    for value, rate in junk:
        hi = lo + rate * scale
        col[(u >= lo) & (u < hi)] = value
        lo = hi
    return col


def pick_earlier(rng: np.random.Generator, day: IntArray, candidates: BoolArray,
                 wanted: BoolArray) -> IntArray:
    """For each ``wanted`` row, a random ``candidates`` row on a strictly earlier day (-1: none).

    Rows must be sorted by time; vectorised with a searchsorted over candidate days.
    """
    cand = np.nonzero(candidates)[0]
    cand_days = day[cand]
    rows = np.nonzero(wanted)[0]
    n_before = np.searchsorted(cand_days, day[rows], side="left")
    pick = np.full(day.shape[0], -1, dtype=np.int64)
    ok = n_before > 0
    draws = np.floor(rng.random(rows.shape[0]) * np.maximum(n_before, 1)).astype(np.int64)
    pick[rows[ok]] = cand[draws[ok]]
    return pick
