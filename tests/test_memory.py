"""Arrow allocates from the C heap numpy uses (the command line's choice), unless the user says
otherwise; checked in fresh interpreters, since the pool is process-wide."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

POOL = "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"


def _run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**clean, **env}, check=True, timeout=120)
    return done.stdout.strip().splitlines()[-1]


def test_default_pool_is_arrows_own_without_formfit() -> None:
    # the premise: without the call, pyarrow's wheel allocates from its own pool
    assert _run(POOL) != "system"


@pytest.mark.parametrize("first", ["", "import pyarrow; "])  # before or after pyarrow's import
def test_share_heap_puts_arrow_on_the_system_allocator(first: str) -> None:
    code = f"{first}from formfit.memory import share_heap_with_arrow; share_heap_with_arrow(); "
    assert _run(code + POOL) == "system"


def test_the_users_pool_wins() -> None:
    code = "from formfit.memory import share_heap_with_arrow; share_heap_with_arrow(); " + POOL
    assert _run(code, ARROW_DEFAULT_MEMORY_POOL="jemalloc") in ("jemalloc", "mimalloc")
    assert _run(code, ARROW_DEFAULT_MEMORY_POOL="mimalloc") == "mimalloc"


def test_the_command_line_shares_the_heap() -> None:
    code = ("import sys; sys.argv = ['formfit', '--version']\n"
            "from formfit.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n" + POOL)
    assert _run(code) == "system"
