"""The planted world's parameters and design: forms, fields and the behavioural constants.

Everything a reader needs to know about *what* is planted lives here, as data; the other
modules only turn it into rows (``behaviour``, ``people``, ``crm``), answers (``truth``) and
files (``write``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from formfit.errors import UsageError

#: Segments and their effects. Channel shifts intent (who arrives) and conversion; device
#: shifts conversion only (a small screen costs submissions, not intent).
DEVICES = ("desktop", "mobile")
DEVICE_SHARE = (0.55, 0.45)
DEVICE_CONV = (0.0, -0.30)  # logit shift of P(submit)
CHANNELS = ("paid", "organic", "email", "referral")
CHANNEL_SHARE = (0.45, 0.30, 0.15, 0.10)
CHANNEL_INTENT = (-0.30, 0.10, 0.40, 0.50)  # mean of the latent intent z
CHANNEL_CONV = (-0.20, 0.0, 0.20, 0.10)  # direct logit shift of P(submit)
CHANNEL_WIN = (0.0, 0.0, 0.10, 0.30)  # logit shift of P(win | submitted)


@dataclass(frozen=True)
class FieldModel:
    """How one field behaves: its friction, its junk, and what its values know.

    ``cost`` / ``cost_optional`` are logit-scale reductions of P(submit) for a view of intent 0
    when the field is shown required / optional; a view of intent z pays ``cost * exp(-λ z)``
    (weak leads give up first, so friction also selects). ``junk`` lists placeholder values and
    the probability that a submitted value is each of them (constant: junk is not predictive,
    except for ``phone`` where a junk number blocks sales routing).
    """

    cost: float
    cost_optional: float
    junk: tuple[tuple[str, float], ...] = ()
    predictive: bool = False  # the field's values carry information about winning
    protected: str | None = None
    owner: str | None = None
    role: str = ""  # one line for sample_data/README.md

    def junk_rate(self) -> float:
        return sum(r for _, r in self.junk)


FIELDS: dict[str, FieldModel] = {
    "email": FieldModel(0.10, 0.05, predictive=False, protected="needed to contact the lead",
                        role="lead key; sales cannot follow up without it"),
    "first_name": FieldModel(0.06, 0.03, (("test", 0.01), ("asdf", 0.005)),
                             role="personal data; always shown with last_name"),
    "last_name": FieldModel(0.06, 0.03, (("test", 0.01), ("asdf", 0.005)),
                            role="personal data; always shown with first_name"),
    "phone": FieldModel(0.40, 0.12, (("0000000000", 0.03), ("n/a", 0.01)), predictive=True,
                        owner="sales",
                        role="routing value: sales win more when they can call (randomized)"),
    "company_size": FieldModel(0.15, 0.05, (("Select", 0.03), ("please select", 0.01)),
                               predictive=True, role="values predict winning; never varies"),
    "how_did_you_hear": FieldModel(0.45, 0.10, (("Select", 0.05),),
                                   role="noise: costs submissions, values say nothing "
                                   "(randomized)"),
    "budget": FieldModel(0.30, 0.10, (("n/a", 0.02), ("0", 0.02)), predictive=True,
                         role="numeric, values predict winning; never varies"),
    "job_title": FieldModel(0.15, 0.05, (("asdf", 0.02), ("test", 0.01), ("n/a", 0.02)),
                            role="aliased with seniority: removed together (observational)"),
    "seniority": FieldModel(0.12, 0.04, (("Select", 0.03),), predictive=True,
                            role="aliased with job_title; values predict winning"),
    "timeline": FieldModel(0.25, 0.08, (("please select", 0.02),), predictive=True,
                           role="optional; removed in a later pricing version (observational)"),
    "message": FieldModel(0.20, 0.05, (("test", 0.03), ("asdf", 0.01)),
                          role="optional free text; no value to sales"),
    "consent": FieldModel(0.05, 0.02, protected="legal: marketing consent",
                          role="legal checkbox"),
}

#: Fill probability of an optional field: logistic(a + b * z) (timeline: keen leads answer).
OPTIONAL_FILL: dict[str, tuple[float, float]] = {"timeline": (0.3, 0.6), "message": (-0.2, 0.0)}


@dataclass(frozen=True)
class FormDesign:
    """One form id: its versions, audience and base rates (all on the logit scale)."""

    form_id: str
    group: str  # experiment name, or the form id: shares day shocks and audience
    # (first day since params.start, fields shown, of which optional), sorted by day
    versions: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...]
    experiment: str | None = None
    traffic: float | None = None  # planned share within the experiment
    conv_intercept: float = 0.0
    win_intercept: float = 0.0
    intent_shift: float = 0.0

    def all_fields(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for _, fields, _ in self.versions:
            seen.update(dict.fromkeys(fields))
        return tuple(seen)


@dataclass(frozen=True)
class WorldParams:
    """Knobs of a simulated world. Defaults make the bundled-sample-like world.

    Attributes:
        seed: the only source of randomness (``np.random.default_rng(seed)``).
        n_views: number of form views (rows of views.csv).
        start: first day of views.
        n_days: days of views; views run from ``start`` to ``start + n_days - 1``.
        as_of: export date of all files (deals closing later show as open); default
            ``start + n_days``.
        day_shock_sd: sd of a logit-scale shock to conversion per (form group, day); an A/B
            experiment's variants share their shock. 0 disables.
        broken_split: the experiment's realised traffic deviates from the planned equal split
            (``broken_shares``), for sample-ratio-mismatch checks.
        broken_shares: realised shares of demo-a..demo-d when ``broken_split``.
        horizon_days: every won deal closes within this many days of its submission, so
            P(win within h) is the eventual win probability for any h >= horizon_days.
        group_shares: share of views going to the demo experiment, pricing, newsletter, contact.
        intent_friction: λ: a view with intent z pays ``cost * exp(-λ z)`` per field.
        intent_conv: β: logit slope of P(submit) on intent.
        intent_win: logit slope of P(win | submitted) on intent.
        phone_routing: logit boost of P(win) when sales have a usable phone number.
        time_trend: logit change of conversion from the first to the last day (all forms).
        weekend_conv: logit shift of conversion on Saturdays and Sundays.
        version_confound: logit shift of pricing conversion from its second version on that
            no field explains (a campaign launched with the edit); 0 keeps versions unconfounded.
        duplicate_rate: share of submission rows exported twice (exact duplicates).
        repeat_rate: share of submissions that are a second submission by an earlier lead.
        junk_scale: multiplies every junk rate in ``FIELDS``.
        amount_mu, amount_sigma: won deal amounts are lognormal(mu, sigma).
    """

    seed: int = 0
    n_views: int = 60_000
    start: date = date(2025, 1, 1)
    n_days: int = 240
    as_of: date | None = None
    day_shock_sd: float = 0.1
    broken_split: bool = False
    broken_shares: tuple[float, float, float, float] = (0.28, 0.25, 0.25, 0.22)
    horizon_days: int = 90
    group_shares: tuple[float, float, float, float] = (0.55, 0.20, 0.14, 0.11)
    intent_friction: float = 0.25
    intent_conv: float = 0.9
    intent_win: float = 1.0
    phone_routing: float = 0.6
    time_trend: float = -0.25
    weekend_conv: float = -0.10
    version_confound: float = 0.0
    duplicate_rate: float = 0.004
    repeat_rate: float = 0.015
    junk_scale: float = 1.0
    amount_mu: float = 9.3
    amount_sigma: float = 1.1

    @property
    def export_date(self) -> date:
        """The as-of date of the exports."""
        return self.as_of if self.as_of is not None else self.start + timedelta(days=self.n_days)

    def validate(self) -> None:
        """Raise UsageError for parameters that cannot make a sensible world."""
        problems = []
        if self.n_views < 1000:
            problems.append(f"n_views={self.n_views} (at least 1000)")
        if self.n_days < 30:
            problems.append(f"n_days={self.n_days} (at least 30)")
        if self.horizon_days < 45:
            problems.append(f"horizon_days={self.horizon_days} (at least 45)")
        if self.export_date < self.start + timedelta(days=self.n_days - 1):
            problems.append(f"as_of={self.export_date} (not before the last day of views)")
        if self.day_shock_sd < 0:
            problems.append(f"day_shock_sd={self.day_shock_sd} (not negative)")
        if not 0 <= self.duplicate_rate < 0.5 or not 0 <= self.repeat_rate < 0.5:
            problems.append("duplicate_rate and repeat_rate must be in [0, 0.5)")
        if problems:
            raise UsageError("cannot simulate a world with " + "; ".join(problems) + ".",
                             "Use --views 1000 or more (the default is 60,000).")


def default_forms(params: WorldParams) -> tuple[FormDesign, ...]:
    """The planted forms: a 2x2 experiment, a form edited twice, a control, a contact form.

    - ``demo-a..demo-d`` (experiment ``demo``): a 2x2 factorial over ``phone`` and
      ``how_did_you_hear`` on top of email, names, company_size and consent.
    - ``pricing``: version 1 shows timeline (optional), job_title and seniority; version 2
      drops timeline; version 3 drops job_title and seniority together (so they are aliased).
    - ``newsletter``: email and consent, never changed (a control for time trends).
    - ``contact``: names and an optional free-text message, never changed.
    """
    names = ("email", "first_name", "last_name")
    demo = []
    shares = (0.25, 0.25, 0.25, 0.25)
    for i, (suffix, phone, hdyh) in enumerate(
            (("a", True, True), ("b", True, False), ("c", False, True), ("d", False, False))):
        fields = (*names, *(("phone",) if phone else ()), "company_size",
                  *(("how_did_you_hear",) if hdyh else ()), "consent")
        demo.append(FormDesign(f"demo-{suffix}", "demo", ((0, fields, ()),), experiment="demo",
                               traffic=shares[i], conv_intercept=-0.5, win_intercept=-2.4,
                               intent_shift=0.3))
    v2 = round(0.30 * params.n_days)
    v3 = round(0.50 * params.n_days)
    p1 = (*names, "company_size", "budget", "job_title", "seniority", "timeline", "consent")
    p2 = tuple(f for f in p1 if f != "timeline")
    p3 = tuple(f for f in p2 if f not in ("job_title", "seniority"))
    pricing = FormDesign("pricing", "pricing",
                         ((0, p1, ("timeline",)), (v2, p2, ()), (v3, p3, ())),
                         conv_intercept=-0.9, win_intercept=-2.1, intent_shift=0.2)
    newsletter = FormDesign("newsletter", "newsletter", ((0, ("email", "consent"), ()),),
                            conv_intercept=-0.4, win_intercept=-4.0, intent_shift=-0.3)
    contact = FormDesign("contact", "contact",
                         ((0, (*names, "message", "consent"), ("message",)),),
                         conv_intercept=-1.9, win_intercept=-2.4, intent_shift=0.0)
    return (*demo, pricing, newsletter, contact)
