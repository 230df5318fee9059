"""Regenerate formfit/wordlists/english.txt.gz, the English words that tell a dropdown phrase
("Trade Show", "Google Search") from a person's name ("Priya Raghunathan") in formfit.personal.

Source: SCOWL's size-50 American English list as Debian's `wamerican` package installs it
(/usr/share/dict/american-english; `apt-get install wamerican`). Possessives ("Susan's") are
dropped; every other entry is kept as spelled, so lower-case words and proper nouns (places,
brands, and names that formfit.personal tells apart with the US Census lists) stay apart.

    python scripts/make_english_words.py [/usr/share/dict/american-english]
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "formfit" / "wordlists" / "english.txt.gz"
NOTICE = """\
# English words from SCOWL (Spell Checker Oriented Word Lists), size 50, American spelling,
# as Debian's wamerican package 2020.12.07 ships it; possessives removed
# (regenerate with scripts/make_english_words.py).
#
# Copyright 2000-2011 by Kevin Atkinson
#
# Permission to use, copy, modify, distribute and sell these word lists, the associated
# scripts, the output created from the scripts, and its documentation for any purpose is
# hereby granted without fee, provided that the above copyright notice appears in all copies
# and that both that copyright notice and this permission notice appear in supporting
# documentation. Kevin Atkinson makes no representations about the suitability of this array
# for any purpose. It is provided "as is" without express or implied warranty.
#
# SCOWL also credits the word lists it is built from (Moby Words II, 12Dicts, ENABLE, UKACD
# and others); their permissions are in SCOWL's README (Debian:
# /usr/share/doc/wamerican/copyright).
"""


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/dict/american-english")
    words = sorted({w.strip() for w in src.read_text(encoding="utf-8").splitlines()
                    if w.strip() and "'" not in w})
    # mtime=0: the same input gives the same bytes
    with OUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                              compresslevel=9) as gz:
        gz.write((NOTICE + "\n".join(words) + "\n").encode("utf-8"))
    print(f"{OUT}: {len(words):,} words")


if __name__ == "__main__":
    main()
