"""The one rule for personal data in what formfit prints: a value is shown only when it cannot
identify a person.

Every error, warning, hint and list of values (unknown form ids, the suggested stage map, the
values of a field in ``win_rate_by_value``) passes its values through here:

* :func:`value_kind` names what a personal value looks like (an email address, a phone number,
  a person's name) or returns None for a value that may be shown. A full name is recognised
  when its first word is one of the 5,494 first names and its last word one of the 88,799
  surnames of the US Census (the ``names`` package's lists), so CRM stages ("Closed Won"), job
  titles ("Art Director"), countries and months stay visible while "Susan Harris" does not.
* :func:`shown` is the single bad value an error quotes ("row 32: submitted_at ... is not a
  date"): stricter, since the row and column already say where to look, it also withholds any
  value of a column whose name says it holds personal data, and any run of capitalised words
  (a name from anywhere in the world reads like that).
* :func:`redacted` is a list of distinct values, each personal one replaced by its kind.

No pandas here: the CLI's error path imports this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from importlib import resources

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_EMAIL_IN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,22}$")
_PHONE_LOOSE = re.compile(r"^\+?[\d\s().\-/]{9,}$")
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
_WORD = re.compile(r"^[^\W\d_][^\W\d_'’\-.]*(?:['’\-][^\W\d_]+)*\.?$")
_WORDS_MAX = 4

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


def _census(*files: str) -> frozenset[str]:
    out: set[str] = set()
    root = resources.files("names")
    for fname in files:
        for line in (root / fname).read_text(encoding="ascii").splitlines():
            if line.strip():
                out.add(line.split()[0])
    return frozenset(out)


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Upper-case first names of the 1990 US Census (male and female lists)."""
    return _census("dist.male.first", "dist.female.first")


@lru_cache(maxsize=1)
def last_names() -> frozenset[str]:
    """Upper-case surnames of the 1990 US Census (88,799 of them)."""
    return _census("dist.all.last")


def _key(word: str) -> str:
    """A word as the census lists spell it: upper case, no accents, no dots or apostrophes."""
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
    """Two to four words of letters, the first a known first name and the last a known surname
    ("Susan Harris", "mary o'neil", "José García"). One word is not a full name ("India",
    "June" and "Austin" are first names too), and "Art Director" or "Will call" end in a word
    that is no surname."""
    words = _words(text.strip())
    while words and _key(words[0]) in _HONORIFICS:
        words = words[1:]
    if words is None or len(words) < 2:
        return False
    # a name is typed in one style: "Will call" and "Bill me" are phrases
    if len({w[0].isupper() for w in words}) > 1:
        return False
    return _key(words[0]) in first_names() and _key(words[-1]) in last_names()


def value_kind(text: str) -> str | None:
    """What a value that identifies a person looks like, or None for a value that can be
    shown."""
    t = text.strip()
    if _EMAIL_IN.search(t):
        return EMAIL
    if _PHONE_LOOSE.match(t) and not _DATE_LIKE.match(t) and sum(c.isdigit() for c in t) >= 9:
        return PHONE
    if looks_like_name(t):
        return NAME
    return None


def masked(value: object) -> str:
    """The value as text, or its kind in angle brackets when it could identify a person."""
    kind = value_kind(str(value))
    return str(value) if kind is None else f"<{kind}>"


def quoted(value: object) -> str:
    """The value quoted for a list in a message, or its kind when it could identify a person."""
    kind = value_kind(str(value))
    return repr(str(value)) if kind is None else f"<{kind}>"


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
