"""``python -m formfit``."""

from formfit.cli import main

main()
