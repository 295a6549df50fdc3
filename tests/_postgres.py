"""A throwaway PostgreSQL server for the store tests, in a temporary folder.

Debian's ``postgresql`` package (``make postgres`` installs it) puts
``initdb`` and ``pg_ctl`` under ``/usr/lib/postgresql/<version>/bin``. The
server runs for one test session on a free port of 127.0.0.1 only, with no
Unix socket, and its folder is deleted at the end. ``initdb`` refuses to run
as root, so under root (CI) the server runs as the ``postgres`` user the
package makes (``runuser -u postgres --``), in a folder given to that user;
under any other user it runs as that user.

The superuser is ``postgres``; the application connects as :data:`APP_ROLE`,
a role that is no superuser and cannot bypass row-level security, which is
what a practice's server gives the dashboard. Each test gets a database of
its own, owned by that role (:meth:`Server.new_database`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The role the store connects as: it owns each test database, and row-level security binds it.
APP_ROLE = "ipt_app"
#: The server's superuser (for making roles and databases, and for looking behind the policies).
SUPERUSER = "postgres"
#: The OS user a root test session runs the server as (made by Debian's package).
OS_USER = "postgres"


def binaries() -> Path:
    """The newest installed PostgreSQL's ``bin`` folder; a sentence saying how to get one."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if not found:
        raise RuntimeError(
            "the store tests need PostgreSQL's server binaries: run `make postgres` "
            "(apt-get install postgresql) and try again"
        )
    return Path(found[-1]).parent


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One running throwaway server; :func:`running` starts and stops it."""

    def __init__(self, folder: Path, port: int, as_user: str | None) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.as_user = as_user
        self.bin = binaries()

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", self.as_user, "--"] if self.as_user else []
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, cwd=self.folder
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stdout}\n{done.stderr}")

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                "-c unix_socket_directories=''",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=100",
            ]
        )
        log = self.folder / "server.log"
        pg_ctl = str(self.bin / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start")
        self.wait()
        with self.admin() as conn:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB")

    def wait(self) -> None:
        import time

        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.url("postgres", SUPERUSER), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str, user: str = APP_ROLE) -> str:
        """The address of ``database`` on this server, as ``user`` (no password: trust)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    @contextlib.contextmanager
    def admin(self, database: str = "postgres") -> Iterator[Any]:
        """A superuser connection (autocommit) to ``database``."""
        import psycopg

        conn = psycopg.connect(self.url(database, SUPERUSER), autocommit=True)
        try:
            yield conn
        finally:
            conn.close()

    def new_database(self) -> str:
        """A new empty database owned by :data:`APP_ROLE`; returns its name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {APP_ROLE}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a test database, ending any connection a test left open."""
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def running() -> Iterator[Server]:
    """A started server for the duration of the block; stopped and deleted after."""
    as_user = OS_USER if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="ipt-pg-"))
    if as_user:
        shutil.chown(folder, as_user, as_user)
    server = Server(folder, free_port(), as_user)
    try:
        server.start()
        yield server
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
