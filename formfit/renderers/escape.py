"""One escaping rule per output channel, each in one place.

Which characters are never written as they are is decided once, by :func:`invisible`: C0 and
C1 control characters (escape sequences, BEL, newlines, DEL), the Unicode line and paragraph
separators, and the format characters (Unicode category Cf): the bidirectional controls
(U+061C, U+200E/F, U+202A-202E, U+2066-2069) that reorder how a line reads ("Trojan Source"),
and the characters that take no room, so that ``email\u200b`` looks like ``email`` (zero-width
space, word joiner, byte-order mark, soft hyphen, the tag characters that smuggle hidden ASCII).
The zero-width joiner and non-joiner stay: they shape emoji and Persian or Indic words.
:func:`visible` shows each as its Python escape (``\\x1b``, ``\\u202e``); every channel below
goes through it:

* Terminal text (the analyze/validate tables, check's text format, messages on stderr):
  :func:`terminal` (all of them, newlines included: one string, one line), and
  :func:`no_commands` makes sure no line of the output starts with ``::``, which GitHub Actions
  would run as a workflow command.
* Markdown: :func:`formfit.renderers.text.md_escape` (newlines become spaces first).
* GitHub workflow commands: :func:`gh_data` and :func:`gh_property`, as GitHub's toolkit
  escapes them (summary line included); ``\\r`` and ``\\n`` are percent-encoded as GitHub
  documents, every other such character is shown by :func:`visible`.
* HTML: Jinja2 autoescaping, with :func:`visible` as the environment's ``finalize`` so every
  printed value (SVG ``<title>`` and ``<text>`` included) goes through it
  (:mod:`formfit.renderers.html`); HTML may not contain most C0 controls at all.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_COMMAND_START = re.compile(r"^(\s*)::", re.MULTILINE)


#: joiners that shape the text around them (emoji sequences, Persian and Indic words): kept
JOINERS = frozenset("\u200c\u200d")


def invisible(ch: str) -> bool:
    """Whether a character is never written as it is: a C0 or C1 control (DEL included), a
    line or paragraph separator, or a format character (bidi controls, zero-width and tag
    characters) other than the two joiners."""
    o = ord(ch)
    if o < 32 or 0x7F <= o < 0xA0 or ch in "\u2028\u2029":
        return True
    return o >= 0xAD and ch not in JOINERS and unicodedata.category(ch) == "Cf"


def visible(text: Any, keep: str = "") -> str:
    """``text`` with every :func:`invisible` character (except those in ``keep``) shown as
    its Python escape: ESC as ``\\x1b``, RLO as ``\\u202e``."""
    s = str(text)
    if not any(invisible(ch) and ch not in keep for ch in s):
        return s
    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if invisible(ch) and ch not in keep else ch for ch in s)


def terminal(text: Any) -> str:
    """Control characters (newlines included) and bidi controls shown as escapes: one
    string, one line, read in its own order."""
    return visible(text)


def terminal_block(text: Any) -> str:
    """Like :func:`terminal` but keeps line breaks (a message with an example on its own
    lines), and no line may start a workflow command."""
    return no_commands("\n".join(terminal(line) for line in str(text).split("\n")))


def no_commands(output: str) -> str:
    """No line starts with ``::`` (after indentation): GitHub Actions would execute it."""
    return _COMMAND_START.sub(lambda m: m.group(1) + "\\::", output)


def gh_data(text: Any) -> str:
    """Escape a workflow command's message, as GitHub's toolkit does; other control and bidi
    characters shown as escapes (:func:`visible`)."""
    return visible(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: Any) -> str:
    """Escape a workflow command's property value (``:`` and ``,`` too)."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")
