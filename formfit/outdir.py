"""The directory an ``--out DIR`` option names (``simulate``, ``design``): checked in one place.

No pandas or pyarrow here: the CLI imports it for ``design`` without loading the simulator.
"""

from __future__ import annotations

from pathlib import Path

from formfit.errors import UsageError


def prepare_out(out: Path, writes: str = "") -> None:
    """The directory ``--out`` names, created if missing; a file there, or a directory that
    cannot be made (no permission, a read-only or virtual file system), is a usage error.
    ``writes`` names what goes into it, for the hint ("forms.yaml, design.json and ...")."""
    into = f"; {writes} are written into it" if writes else ""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out names a directory, but {out} is a file.",
                         f"Give a directory (it is created if missing){into}.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".formfit-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there ({exc.strerror or exc}).",
                         f"Give a directory you can write to{into}.") from None
