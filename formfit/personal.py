"""The one rule for personal data in what formfit prints: a value is shown only when it cannot
identify a person.

Every error, warning, hint and list of values (unknown form ids, the suggested stage map, the
values of a field in ``win_rate_by_value``) passes its values through here:

* :func:`value_kind` is the one decision: it names what a personal value holds (an email
  address, a phone number, a person's name) or returns None for a value that may be shown.
  A value is personal when it *contains* any of these, not only when it is one:

  - an email address, also written around a filter ("susan at acme dot com",
    "susan [at] acme", "priya.r at gmail.com");
  - a phone number: a run of 7 or more digits with a phone's marks (spaces, dots, dashes,
    parentheses, a leading +), or 10 or more plain digits; not a date, a time, a range of a
    dropdown ("1000-4999", "2020-2025") or a round amount ("1 000 000");
  - a person's name: two or three capitalised words, the first a first name and the last a surname
    of the US Census lists (the ``names`` package: "Referred by Susan Harris", "Dr. Wei Zhang"); a
    title before a capitalised word ("Mr Wang"); a user name made of a census first name and surname
    ("jane.doe"); a given name no list holds before one of the 1,000 commonest surnames ("Priya
    Smith"), or a census first name before a word no list holds ("Mark Raghunathan"); words none of
    which is an English word (SCOWL's list, formfit/wordlists) while one is a census name ("via
    Priya Harris"); and, as the whole value, two or three capitalised words none of which is an
    English word or starts a place's name ("Priya Raghunathan"). So dropdown answers ("Google
    Search", "Trade Show", "Word Of Mouth", "Vice President", "Closed Won"), countries and cities
    ("United States", "Los Angeles", "Hong Kong") stay visible; a city of two words neither list
    knows may not.

* :func:`shown` is the single bad value an error quotes ("row 32: submitted_at ... is not a
  date"): stricter, since the row and column already say where to look, it also withholds any
  value of a column whose name says it holds personal data, and any run of capitalised words
  (a name from anywhere in the world reads like that).
* :func:`redacted`, :func:`quoted` and :func:`masked` are lists and single values for messages,
  each personal value replaced by its kind in angle brackets ("<a person's name>").
* ``formfit.models.value_levels`` pools every value :func:`value_kind` refuses into "other".

No pandas here: the CLI's error path imports this module.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from importlib import resources

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,22}$")
_WORD = re.compile(r"^[^\W\d_][^\W\d_'’\-.]*(?:['’\-][^\W\d_]+)*\.?$")
_WORDS_MAX = 4

# --- emails: "a@b.c", with spaces around the @, or written around a filter ---
_EMAIL_IN = re.compile(r"[^@\s]+(?:@|\s@\s)[^@\s]+\.[^@\s]*[^\W\d_]{2}")
_AT_MARK = r"\s*[\[({<]\s*at\s*[\])}>]\s*"  # [at] (at) {at} <at>
_DOT_MARK = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)"  # [dot] (dot) " dot "
_AT_BRACKETED = re.compile(rf"[\w.+\-]+{_AT_MARK}[\w\-]+", re.IGNORECASE)
_AT_SPELLED = re.compile(
    rf"(?P<local>[\w.+\-]+)\s+at\s+(?P<domain>[\w\-]+(?:(?:{_DOT_MARK}|\.)[\w\-]+)+)",
    re.IGNORECASE)
_TLD = re.compile(r"[^\W\d_]{2,24}")
_WEBMAIL = frozenset({"gmail", "googlemail", "yahoo", "hotmail", "outlook", "live", "msn",
                      "icloud", "me", "mac", "aol", "proton", "protonmail", "pm", "gmx", "web",
                      "mail", "yandex", "zoho", "fastmail", "hey", "qq", "163", "naver"})

# --- phones: a run of digits with a phone's marks ---
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().\-/–]*\d\)?")
# dates and times are no phones: taken out before runs are looked for (not when more digit
# groups follow, as in the French "06.12.34.56.78")
_DATE_OR_TIME = re.compile(
    r"(?<![\d.])(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|\d{4}\.\s\d{1,2}\.\s\d{1,2}\.?)"  # the last: Korean-locale 2025. 01. 13.
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?![.\-/]?\d)|\d{1,2}:\d{2}(?::\d{2})?")
_ROUND_AMOUNT = re.compile(r"[1-9]\d{0,2}(?P<sep>[ .\u00a0])\d{3}(?:(?P=sep)\d{3})*")
_DECIMAL = re.compile(r"-?\d+\.\d+")

# --- names: capitalised words ---
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
#: first words of place names that are no given name ("Los Angeles", "Hong Kong", "Sri Lanka",
#: "Costa Rica"): a pair of words neither of which is English is a name unless it starts so
_PLACE_STARTS = frozenset({
    "SAN", "SANTA", "SANTO", "SAO", "LOS", "LAS", "EL", "LA", "LE", "DES", "DAS", "DOS",
    "PUERTO", "PORTO", "PORT", "RIO", "COSTA", "SRI", "HONG", "ABU", "KUALA", "BUENOS",
    "BURKINA", "CABO", "VIET", "ADDIS", "DAR", "PHNOM", "BANDAR", "BATON", "SAINT", "ST",
    "STE", "FORT", "MOUNT", "MT", "NUEVO", "NUEVA", "NOVO", "BAD", "BAN", "KOTA",
    "ULAN", "ULAAN", "TEL", "GUINEA", "PAPUA", "TIMOR", "COTE", "ISLE", "ILE", "CIUDAD",
    "SANKT", "SINT", "BELO", "CHIANG", "SHARM", "MAR", "JOHOR", "PETALING", "HO", "NIZHNY",
})
#: places that read as a census first name and surname ("Santa" and "Santo" are given names
#: too, but before a surname they are a place: "Santa Clara", "Santo Domingo")
_PLACES = frozenset({("SIERRA", "LEONE"), ("PRINCE", "EDWARD"), ("HONG", "KONG")})
_PLACE_GIVEN = frozenset({"SANTA", "SANTO"})
#: last words of place names ("Carson City", "Long Beach", "Uttar Pradesh"): no surname
_PLACE_ENDS = frozenset({"CITY", "BEACH", "ISLAND", "ISLANDS", "COAST", "COUNTY", "PROVINCE",
                         "DISTRICT", "REGION", "STATE", "PRADESH", "AIRPORT", "VALLEY", "BAY",
                         "TOWN", "VILLE"})

_PERSONAL_TOKENS = frozenset({
    "email", "emails", "mail", "emailaddress", "phone", "phonenumber", "telephone", "tel",
    "mobile", "mobilenumber", "cell", "cellphone", "whatsapp", "fax", "surname", "firstname",
    "lastname", "fullname", "forename", "givenname", "familyname", "middlename", "linkedin",
    "address", "street", "postcode", "zipcode", "zip", "ssn", "dob", "birthday", "birthdate",
    "passport", "ip", "twitter", "instagram",
})
_NAME_QUALIFIERS = frozenset({"first", "last", "full", "given", "family", "middle", "contact",
                              "your", "person", "lead", "customer", "client", "sur", "fore",
                              "nick", "user", "applicant", "student", "parent"})
#: key columns: they identify a lead by construction
PRIVATE_COLUMNS = frozenset({"lead_id", "email", "session_id"})

_HONORIFICS = frozenset({"DR", "MR", "MRS", "MS", "MISS", "MX", "PROF", "SIR"})

EMAIL = "an email address"
PHONE = "a phone number"
NAME = "a person's name"
WORDS = "words that may be a name"
#: what :func:`masked` puts in place of a personal value
PLACEHOLDERS = frozenset(f"<{kind}>" for kind in (EMAIL, PHONE, NAME))


def _census(*files: str, top: int = 0) -> frozenset[str]:
    """The names of census lists (``top``: only the first ``top`` lines of each: the lists
    are ordered by rank)."""
    out: set[str] = set()
    root = resources.files("names")
    for fname in files:
        lines = (root / fname).read_text(encoding="ascii").splitlines()
        out.update(line.split(maxsplit=1)[0] for line in (lines[:top] if top else lines)
                   if line.strip())
    return frozenset(out)


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Upper-case first names of the 1990 US Census (male and female lists)."""
    return _census("dist.male.first", "dist.female.first")


@lru_cache(maxsize=1)
def last_names() -> frozenset[str]:
    """Upper-case surnames of the 1990 US Census (88,799 of them)."""
    return _census("dist.all.last")


@lru_cache(maxsize=1)
def common_last_names() -> frozenset[str]:
    """The 1,000 most common census surnames ("SMITH", "YOUNG", "KING"): a surname even where
    it is an English word too, next to a given name no list holds ("Priya Smith")."""
    return _census("dist.all.last", top=1000)


def _key(word: str) -> str:
    """A word as the census lists spell it: upper case, no accents, no dots or apostrophes."""
    if word.isascii():  # most words: no accents to take off (loading the lists 3x faster)
        up = word.upper()
        return up if up.isalpha() else re.sub(r"[^A-Z]", "", up)
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Z]", "", plain.upper())


def name_tokens(name: str) -> list[str]:
    """A column name's words, lower case (camelCase and punctuation split)."""
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [t for t in re.split(r"[^0-9a-z]+", s.casefold()) if t]


def personal_by_name(name: str) -> bool:
    """True when a column's name says it holds contact details or a person's name."""
    tokens = name_tokens(name)
    if not tokens:
        return False
    joined = "".join(tokens)
    if joined in _PERSONAL_TOKENS or any(t in _PERSONAL_TOKENS for t in tokens):
        return True
    if "e" in tokens and "mail" in tokens:
        return True
    if tokens == ["name"] or tokens == ["names"]:
        return True
    return tokens[-1] == "name" and len(tokens) >= 2 and tokens[-2] in _NAME_QUALIFIERS


def looks_phone(s: str) -> bool:
    """A phone number: 9 to 15 digits with a phone's marks (+, a leading 0, separators)."""
    if not _PHONE.match(s):
        return False
    digits = re.sub(r"\D", "", s)
    if not 9 <= len(digits) <= 15:  # shorter digit strings are ranges or amounts ("1000-4999")
        return False
    # plain numbers such as revenue ("2500000") are not phones; these marks are
    return s.startswith(("+", "0", "(")) or bool(re.search(r"[\s\-./)]", s)) or len(digits) >= 10


def _words(text: str) -> list[str] | None:
    words = text.split()
    if not 1 <= len(words) <= _WORDS_MAX or not all(_WORD.match(w) for w in words):
        return None
    return words


def looks_like_name(text: str) -> bool:
    """True when the text holds a person's name (see :func:`value_kind`).

    Anywhere in the text: two or three capitalised words ("Referred by Susan Harris") whose
    first is a census first name and last a census surname; a given name no list holds
    before a common surname ("Priya Smith") or a census first name before a word no list
    holds ("Mark Raghunathan"); or words none of which is an English word while one is a
    census name ("via Priya Harris"). As the whole value also: a census first name and
    surname in one case throughout ("susan harris", up to four words: "Ana María López"),
    and two or three capitalised words none of which is an English word or starts a place's
    name ("Priya Raghunathan"). One word is no full name ("India", "June" and "Austin" are
    first names too); "Art Director", "Will call" and "Closed Won" end in no surname or mix
    styles; "Mark Twain", "Trade Show" and "New York" hold an English word or a known
    place. A title before a capitalised word ("Mr Wang") and a first-name.surname user name
    ("jane.doe") are names too."""
    t = text.strip()
    words = _words(t)
    titled = False
    while words and _key(words[0]) in _HONORIFICS:
        words, titled = words[1:], True
    if titled and words and _style(words[0]) in ("title", "upper"):
        return True  # "Mr Wang", "Dr. Okafor": a title is only ever put before a person
    if _handle(t):
        return True
    if words is not None and len(words) >= 2:
        # a name is typed in one style: "Will call" and "Bill me" are phrases
        if len({_style(w) for w in words} - {"initial"}) == 1 and _census_pair(words):
            return True
        if len(words) <= 3 and (_foreign_pair(words) or _half_known(words)):
            return True
    return any(_census_pair(window) or _half_known(window)
               or (_foreign_pair(window) and _any_census(window)) for window in _windows(t))


_HANDLE = re.compile(r"^([^\W\d_]{2,})[._]([^\W\d_]{2,})$")


def _handle(text: str) -> bool:
    """A user name made of a first name and a surname ("jane.doe", "John_Smith"): an email
    address's local part, which names its owner as the address does."""
    m = _HANDLE.match(text)
    return m is not None and _census_pair([m.group(1), m.group(2)])


def _style(word: str) -> str:
    """How a word is written: "initial" (one letter), "upper", "title" or "lower"."""
    letters = sum(c.isalpha() for c in word)
    if letters <= 1:
        return "initial" if word[:1].isupper() else "lower"
    if word.isupper():
        return "upper"
    if word[0].isupper():
        return "title"
    return "lower" if word.islower() else "mixed"


def _windows(text: str) -> list[list[str]]:
    """Every two or three neighbouring capitalised words of the text, in one style (words are
    neighbours when only spaces, or the dot of an initial or title, stand between them)."""
    runs: list[list[tuple[str, str]]] = [[]]
    end = 0
    for m in _NAME_WORD.finditer(text):
        word, style = m.group(), _style(m.group())
        gap = text[end:m.start()]
        run = runs[-1]
        near = bool(run) and (not gap.strip() and bool(gap)
                              or (gap.strip() == "." and len(run[-1][0]) <= 4))
        styles = {s for _, s in run} | {style}
        if style not in ("title", "upper", "initial") or not near \
                or len(styles - {"initial"}) > 1:
            runs.append([])
        if style in ("title", "upper", "initial"):
            runs[-1].append((word, style))
        end = m.end()
    out: list[list[str]] = []
    for run in runs:
        words = [w for w, _ in run]
        for size in (2, 3):
            for i in range(len(words) - size + 1):
                window = words[i:i + size]
                # "Hong Kong Sar": the words after a place's first word are that place
                if sum(len(w) > 1 for w in window) >= 2 \
                        and not (i and _key(words[i - 1]) in _PLACE_STARTS):
                    out.append(window)
    return out


def _census_pair(words: list[str]) -> bool:
    """The first word a census first name, the last a census surname ("Susan Harris"), and
    no place ("Santa Clara", "Long Beach")."""
    first, last = _key(words[0]), _key(words[-1])
    return (first in first_names() and last in last_names() and first not in _PLACE_GIVEN
            and not _place(words))


def _place(words: list[str]) -> bool:
    """Words that start or end a place's name: "Hong Kong (SAR)", "Carson City"."""
    return (tuple(_key(w) for w in words[:2]) in _PLACES or _key(words[-1]) in _PLACE_ENDS)


def _any_census(words: list[str]) -> bool:
    return any(_key(w) in first_names() or _key(w) in last_names()
               for w in words if len(w) > 1)


def _foreign_pair(words: list[str]) -> bool:
    """Capitalised words (initials aside) none of which is an English word nor a place's first
    word: a name the census lists do not hold ("Priya Raghunathan", "Mateo Tanaka")."""
    full = [w for w in words if _style(w) != "initial"]
    if len(full) < 2 or any(_style(w) != "title" for w in full):
        return False
    if _key(full[0]) in _PLACE_STARTS or _place(full):
        return False
    return not any(known_word(w) for w in full)


def _strict_title(word: str) -> bool:
    """"Priya", "O'Neil", "Smith-Jones"; not "LinkedIn" or "YouTube" (brands' inner capitals)."""
    rest = [c for c in word[1:] if c.isalpha()]
    return word[:1].isupper() and bool(rest) and all(c.islower() for c in rest)


def _half_known(words: list[str]) -> bool:
    """A given name no list holds before a common surname that is an English word too
    ("Priya Smith", "Mateo Young"), or a census first name before a surname no list holds
    ("Mark Raghunathan"): two or three words, each written "Title"."""
    if not 2 <= len(words) <= 3 or not all(_strict_title(w) for w in words):
        return False
    first, last = _key(words[0]), _key(words[-1])
    if first in _PLACE_STARTS or _place(words):
        return False
    return ((not known_word(words[0]) and last in common_last_names())
            or (first in first_names() and not known_word(words[-1])))


@lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    """Keys of SCOWL's English words (formfit/wordlists/english.txt.gz): its lower-case
    entries, and its proper nouns that are no census first name or surname (places and brands:
    "Google", "Delhi", "Saudi", "Twain"; "Susan" and "Harris" are left out)."""
    raw = (resources.files("formfit") / "wordlists" / "english.txt.gz").read_bytes()
    lower: set[str] = set()
    proper: set[str] = set()
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            (lower if line.islower() else proper).add(_key(line))
    people = first_names() | last_names()
    return frozenset(lower | (proper - people)) - {""}


def known_word(word: str) -> bool:
    """True for an English word or a known place or brand (see :func:`_english`)."""
    return _key(word) in _english()


def _has_email(text: str) -> bool:
    if _EMAIL_IN.search(text) or _AT_BRACKETED.search(text):
        return True
    for m in _AT_SPELLED.finditer(text):
        parts = re.split(rf"{_DOT_MARK}|\.", m["domain"], flags=re.IGNORECASE)
        if not _TLD.fullmatch(parts[-1]):
            continue
        local = m["local"]
        # "priya.r at gmail.com", "susan at acme dot com", "susan at gmail.com"; not "saw
        # your ad at forbes.com"
        if (re.search(_DOT_MARK, m["domain"], flags=re.IGNORECASE)
                or re.search(r"[._+\d]", local) or parts[0].casefold() in _WEBMAIL
                or _key(local) in first_names()):
            return True
    return False


def _amount(part: str) -> int | None:
    """A whole number as a dropdown writes one ("5000", "1 000 000"), or None."""
    part = part.strip()
    if part.isdigit():
        return int(part)
    if _ROUND_AMOUNT.fullmatch(part):
        return int(re.sub(r"\D", "", part))
    return None


def _round(n: int, text: str) -> bool:
    """A bound of a dropdown's range: ends in 0, 1 or 9 ("1000", "501", "4999") or is a year."""
    return not (text.startswith("0") and n) and (n % 10 in (0, 1, 9) or 1900 <= n <= 2100)


def _phone_run(run: str) -> bool:
    """One run of digits and phone marks: is it a phone number?"""
    digits = sum(c.isdigit() for c in run)
    if digits < 7:
        return False
    plain = run.lstrip("+")
    if plain.isdigit():  # no marks: revenue ("2500000") is no phone, a long number may be
        return run.startswith("+") or digits >= 10 or (plain.startswith("0") and digits >= 9)
    if _DECIMAL.fullmatch(run):  # an amount with cents, "1234567.89"
        return False
    if _ROUND_AMOUNT.fullmatch(run):  # "1 000 000", "2.500.000", but not "612 345 678"
        return not run.endswith(("000", "999"))
    bounds = re.split(r"\s*[-–/]\s*", run)
    if len(bounds) == 2:  # a range: "1000-4999", "2020-2025", "1 000 000 - 5 000 000"
        lo, hi = (_amount(b) for b in bounds)
        if lo is not None and hi is not None and lo < hi \
                and _round(lo, bounds[0].strip()) and _round(hi, bounds[1].strip()):
            return False
    return True


def _has_phone(text: str) -> bool:
    text = _DATE_OR_TIME.sub(" | ", text)
    return any(_phone_run(m.group().strip()) for m in _DIGIT_RUN.finditer(text))


def value_kind(text: str) -> str | None:
    """The one decision on personal data: what a value that could identify a person holds (an
    email address, a phone number, a person's name: see the module's docstring), or None for
    a value that may be shown. Error messages, hints and the labels of ``win_rate_by_value``
    all ask this."""
    t = str(text).strip()
    if not t:
        return None
    if ("@" in t or "at" in t.casefold()) and _has_email(t):
        return EMAIL
    if sum(c.isdigit() for c in t) >= 7 and _has_phone(t):
        return PHONE
    if looks_like_name(t):
        return NAME
    return None


def census_backed(text: str) -> bool:
    """Some word of the text is a census first name or surname: a name :func:`value_kind`
    found by the census lists, not only by its shape ("Kontakt Formular", two capitalised
    words that are no English words, has the shape of "Priya Raghunathan")."""
    words = _words(str(text).strip()) or []
    return _any_census(words)


def masked(value: object) -> str:
    """The value as text, or its kind in angle brackets when it could identify a person."""
    kind = value_kind(str(value))
    return str(value) if kind is None else f"<{kind}>"


def quoted(value: object) -> str:
    """The value quoted for a list in a message, or its kind when it could identify a person
    (a value :func:`masked` already replaced stays as it is: ``<an email address>``)."""
    text = str(value)
    if text in PLACEHOLDERS:
        return text
    kind = value_kind(text)
    return repr(text) if kind is None else f"<{kind}>"


def redacted(values: Collection[object]) -> list[str]:
    """Distinct values for a list in a message, sorted, each personal one replaced by its kind
    (an id column that holds emails after a column shift must not print them)."""
    return sorted({masked(v) for v in values})


def shown(value: object, column: str) -> str:
    """One value for an error or warning: quoted and shortened, or replaced by its kind when it
    could identify a person (a key or personal column, an email, a phone, a name, or several
    capitalised words)."""
    if column in PRIVATE_COLUMNS or personal_by_name(column):
        return "(value withheld: it identifies a person)"
    text = str(value)
    kind = value_kind(text)
    if kind is not None:
        return f"<{kind}>"
    words = _words(text.strip())
    if words is not None and len(words) >= 2 and all(w[0].isupper() for w in words):
        return f"<{WORDS}>"
    return repr(text if len(text) <= 40 else text[:37] + "...")
