"""A throwaway PostgreSQL server for the engine tests: initdb + pg_ctl in a temp directory.

Debian's ``postgresql`` package puts the server binaries under
``/usr/lib/postgresql/<version>/bin`` (not on PATH); the newest version found is used, or the
directory named by ``FORMFIT_PG_BIN``. The server never runs as root: when the tests run as
root (CI, containers) initdb and pg_ctl run as the ``postgres`` OS user through ``runuser``.

The server listens on a free TCP port on 127.0.0.1 (password auth, scram-sha-256) and on a
unix socket in its own directory (trust), so it never touches Debian's system cluster, its
port 5432 or its socket directory /var/run/postgresql.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

USER = "formfit"
DATABASE = "formfit"
# Distinctive, so a test can grep every output for it; URL-safe, so it needs no quoting.
PASSWORD = "pw-Zq7xK3vR9mTt"
OS_USER = "postgres"


def find_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl, or None when no server is installed."""
    override = os.environ.get("FORMFIT_PG_BIN")
    candidates: list[Path] = [Path(override)] if override else []

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in p.parent.name.split(".") if x.isdigit())

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; ``stop()`` ends it and removes its directory."""

    bin_dir: Path
    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, password: str = PASSWORD, scheme: str = "postgres") -> str:
        """A TCP URL with the password: what a user would pass to ``--engine``."""
        return f"{scheme}://{USER}:{quote(password, safe='')}@127.0.0.1:{self.port}/{DATABASE}"

    def socket_url(self) -> str:
        """A unix-socket URL, libpq style: empty host, ``?host=`` names the socket directory."""
        return f"postgresql://{USER}@:{self.port}/{DATABASE}?host={self.socket_dir}"

    def conninfo(self) -> dict[str, object]:
        """Keyword arguments for ``psycopg.connect``."""
        return {"host": "127.0.0.1", "port": self.port, "user": USER, "password": PASSWORD,
                "dbname": DATABASE}

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """Stop the server (immediate mode: its data are thrown away) and remove the directory."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                _run_as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir),
                               "-m", "immediate", "-w", "-t", "30", "stop"], cwd=self.root,
                              check=False)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _run_as_owner(cmd: list[str], *, cwd: Path, check: bool = True
                  ) -> subprocess.CompletedProcess[str]:
    """Run a server command as the postgres OS user when we are root (initdb refuses root)."""
    full = (["runuser", "-u", OS_USER, "--", *cmd] if _as_root() else cmd)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
    proc = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed ({proc.returncode}):\n"
                           f"{proc.stdout}\n{proc.stderr}")
    return proc


def start_server(bin_dir: Path, attempts: int = 3) -> PostgresServer:
    """initdb a fresh cluster in a new temp directory and start it; retry on a port race."""
    if _as_root():
        try:
            owner = pwd.getpwnam(OS_USER)
        except KeyError:
            raise RuntimeError(f"running as root, but there is no '{OS_USER}' OS user to run "
                               "the server as (Debian's postgresql package creates it)") from None
    # Not under pytest's tmp_path: that lives in a 0700 directory of root's that the postgres
    # user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="formfit-pg-"))
    server = PostgresServer(bin_dir=bin_dir, root=root, port=0)
    try:
        server.socket_dir.mkdir()
        pwfile = root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if _as_root():
            for p in (root, server.socket_dir, pwfile):
                os.chown(p, owner.pw_uid, owner.pw_gid)
        _run_as_owner([str(bin_dir / "initdb"), "-D", str(server.data_dir), "-U", USER,
                       f"--pwfile={pwfile}", "--auth-host=scram-sha-256", "--auth-local=trust",
                       "-E", "UTF8", "--locale=C", "--no-sync"], cwd=root)
        pwfile.unlink()
        last = ""
        for _ in range(attempts):
            server.port = free_port()
            opts = (f"-c listen_addresses=127.0.0.1 -c port={server.port} "
                    f"-c unix_socket_directories={server.socket_dir} "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            proc = _run_as_owner([str(bin_dir / "pg_ctl"), "-D", str(server.data_dir),
                                  "-l", str(server.log_file), "-w", "-t", "60", "-o", opts,
                                  "start"], cwd=root, check=False)
            if proc.returncode == 0:
                break
            last = f"{proc.stdout}\n{proc.stderr}\n{server.log_tail()}"
        else:
            raise RuntimeError(f"pg_ctl start failed {attempts} times:\n{last}")
        _create_database(server)
        return server
    except BaseException:
        server.stop()
        raise


def _create_database(server: PostgresServer) -> None:
    import psycopg

    info = dict(server.conninfo(), dbname="postgres")
    with contextlib.closing(psycopg.connect(**info, autocommit=True)) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
