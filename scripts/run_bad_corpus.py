"""Run the bad-input corpus and print the counts issue 12's closing note needs.

    python scripts/run_bad_corpus.py            # counts, then one line per case that failed
    python scripts/run_bad_corpus.py -v         # and one line per case

Inputs tried, clear errors, clean runs, and the failures (tracebacks, hangs, memory blow-ups,
library warnings, wrong exit statuses, missing messages), which should all be zero. The cases
are tests/data/bad/manifest.yaml; the same runs back tests/test_bad_corpus.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bad_corpus import FAILURES, counts, load_cases, run_all, write_generated  # noqa: E402


def main() -> int:
    """Run every case; exit 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per case")
    parser.add_argument("-k", metavar="TEXT", help="only cases whose name contains TEXT")
    args = parser.parse_args()
    cases = [c for c in load_cases() if not args.k or args.k in c.name]
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="formfit-bad-") as tmp:
        write_generated(Path(tmp))
        outcomes = run_all(cases, Path(tmp))
    for o in outcomes:
        if args.verbose or o.status in FAILURES:
            known = f"  (known: {o.case.known})" if o.case.known and o.status in FAILURES else ""
            print(f"{o.status:16} exit={o.exit!s:4} {o.seconds:5.1f}s  {o.case.name}"
                  f"  [{o.case.kind}]{known}")
            for p in o.problems:
                print("    " + p.strip().replace("\n", "\n    ")[:1500])
    total = counts(outcomes)
    print(f"\n{time.monotonic() - start:.0f} s")
    for key, value in total.items():
        print(f"{key.replace('_', ' '):18} {value}")
    return 1 if any(total[f] for f in FAILURES) else 0  # known failures do not fail the run


if __name__ == "__main__":
    sys.exit(main())
