"""One escaping rule per output channel, each in one place.

* Terminal text (the analyze/validate tables, check's text format, messages on stderr):
  :func:`terminal` shows control characters (newlines, escape sequences, bidi line breaks) as
  escapes so a user string stays one inert line, and :func:`no_commands` makes sure no line of
  the output starts with ``::``, which GitHub Actions would run as a workflow command.
* Markdown: :func:`formfit.renderers.text.md_escape`.
* GitHub workflow commands: :func:`gh_data` and :func:`gh_property`, as GitHub's toolkit
  escapes them (summary line included).
* HTML: Jinja2 autoescaping (:mod:`formfit.renderers.html`).
"""

from __future__ import annotations

import re
from typing import Any

_COMMAND_START = re.compile(r"^(\s*)::", re.MULTILINE)


def _control(ch: str) -> bool:
    o = ord(ch)
    return o < 32 or 0x7F <= o < 0xA0 or ch in "\u2028\u2029\u0085"


def terminal(text: Any) -> str:
    """Control characters (newlines included) shown as escapes: one string, one line."""
    s = str(text)
    if not any(_control(ch) for ch in s):
        return s
    return "".join(ch.encode("unicode_escape").decode("ascii") if _control(ch) else ch
                   for ch in s)


def terminal_block(text: Any) -> str:
    """Like :func:`terminal` but keeps line breaks (a message with an example on its own
    lines), and no line may start a workflow command."""
    return no_commands("\n".join(terminal(line) for line in str(text).split("\n")))


def no_commands(output: str) -> str:
    """No line starts with ``::`` (after indentation): GitHub Actions would execute it."""
    return _COMMAND_START.sub(lambda m: m.group(1) + "\\::", output)


def gh_data(text: Any) -> str:
    """Escape a workflow command's message, as GitHub's toolkit does."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: Any) -> str:
    """Escape a workflow command's property value (``:`` and ``,`` too)."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")
