"""The progress spinner names the input file: a file name is never read as rich markup (a name
holding '[/red]' raised MarkupError on a terminal) and shows no control characters."""

from __future__ import annotations

import io

import pytest
import rich.console

from formfit.progress import stage, tracking


def test_spinner_takes_any_file_name(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    real = rich.console.Console

    def console(*args: object, **kw: object) -> rich.console.Console:
        kw.pop("stderr", None)
        return real(file=out, force_terminal=True, width=120)

    monkeypatch.setattr(rich.console, "Console", console)
    # status.update refreshes at once: the line is drawn inside the block
    with tracking(show=True), stage("Reading submissions (subs[/red]\x1b[2J\n::error::x.csv)"):
        pass
    text = out.getvalue()
    assert "subs[/red]" in text  # shown as typed
    assert "\x1b[2J" not in text and "\n::error" not in text
