"""Screenshot an HTML report in headless Chromium, to look at what a reader sees.

Usage: python scripts/screenshot_report.py REPORT.html OUT.png [--width 1400] [--height 2400]
       [--scale 2]

Needs Debian's chromium (`apt-get install -y chromium`). Networking features are turned off: the
report is self-contained and must render offline.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no Chromium found: install it with `apt-get install -y chromium`.")


def screenshot(report: Path, out: Path, width: int = 1400, height: int = 2400,
               scale: float = 1.0) -> None:
    """Render ``report`` to ``out`` (PNG) at the given window size."""
    browser = find_browser()
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="formfit-chromium-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--screenshot={out}",
               f"--window-size={width},{height}", f"--force-device-scale-factor={scale:g}",
               report.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0 or not out.exists():
        sys.stderr.write(proc.stderr[-2000:])
        raise SystemExit(f"chromium failed (exit {proc.returncode}).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the HTML report")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="device scale factor: 2 for a sharper, zoomed-in look")
    args = parser.parse_args(argv)
    if not args.report.exists():
        raise SystemExit(f"{args.report} does not exist.")
    screenshot(args.report, args.out, args.width, args.height, args.scale)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
