"""``ipt-network users``: users, roles and assignments from the command line.

Passwords come from standard input (a terminal would be asked without
echo), never from an argument; the store keeps Argon2id hashes only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ipt_network.cli import main
from ipt_network.cli.practice import users_cmd
from ipt_network.io.samples import samples_folder

ADMIN = ("lee", "lee's long admin password")
THERAPIST = ("ann", "ann's long therapist password")


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A store with the sample clients, an admin (lee) and a therapist (ann)."""
    path = str(tmp_path / "ipt.db")
    assert run("init", "--db", path)[0] == 0
    with samples_folder() as samples:
        assert run("import", str(samples), "--db", path)[0] == 0
    code, out = run("users", "add", ADMIN[0], "--role", "admin", "--db", path, stdin=ADMIN[1])
    assert code == 0, out
    as_lee = ["--db", path, "--user", ADMIN[0]]
    code, out = run(
        "users", "add", "ann", "--role", "therapist", *as_lee, stdin=f"{ADMIN[1]}\n{THERAPIST[1]}"
    )
    assert code == 0, out
    return path


def as_admin(db: str, *args: str, more: str = "") -> tuple[int, str]:
    """Run ``users ...`` signed in as lee; ``more``: further lines of standard input."""
    stdin = ADMIN[1] + ("\n" + more if more else "")
    return run("users", *args, "--db", db, "--user", ADMIN[0], stdin=stdin)


def test_no_password_option_or_argument_anywhere() -> None:
    for name, command in users_cmd.commands.items():
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert not any("pass" in o for o in options), name
    code, out = run("users", "add", "kim", "--role", "therapist", "--password", "x" * 20)
    assert code == 2 and "No such option" in out


def test_add_reads_the_password_from_stdin_and_stores_an_argon2id_hash(db: str) -> None:
    code, out = as_admin(db, "add", "Kim", "--role", "researcher", more="kim's long password!")
    assert code == 0 and "Added kim as researcher." in out
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT name, password_hash FROM users").fetchall())
    assert set(rows) == {"lee", "ann", "kim"}
    assert all(h.startswith("$argon2id$") for h in rows.values())
    assert not any("password" in h for h in rows.values())
    # the new password signs in, from standard input
    code, out = run("clients", "--db", db, "--user", "kim", stdin="kim's long password!")
    assert code == 1 and "researcher" in out  # signed in; a researcher sees no client list


def test_list_shows_names_roles_and_counts_never_a_hash(db: str) -> None:
    assert as_admin(db, "assign", "ann", "grief-01", "dispute-01")[0] == 0
    code, out = as_admin(db, "list")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert set(lines) == {"ann", "lee"}
    assert "therapist" in lines["ann"] and "2 client(s)" in lines["ann"]
    assert "admin" in lines["lee"]
    assert "$argon2" not in out


def test_assign_and_remove_an_assignment(db: str) -> None:
    code, out = as_admin(db, "assign", "ann", "grief-01", "dispute-01")
    assert code == 0 and "Assigned 2 client(s) to ann." in out
    ann = ["--db", db, "--user", "ann"]
    code, out = run("clients", *ann, stdin=THERAPIST[1])
    assert "grief-01" in out and "dispute-01" in out and "transition-01" not in out
    code, out = as_admin(db, "assign", "ann", "dispute-01", "--remove")
    assert code == 0 and "Took 1 client(s) from ann." in out
    code, out = run("clients", *ann, stdin=THERAPIST[1])
    assert "grief-01" in out and "dispute-01" not in out
    code, out = as_admin(db, "assign", "ann", "no-such-client")
    assert code == 1 and "no client with id 'no-such-client'" in out
    code, out = as_admin(db, "assign", "lee", "grief-01")
    assert code == 1 and "only therapists are assigned clients" in out


def test_remove_a_user_but_never_the_last_admin(db: str) -> None:
    code, out = as_admin(db, "remove", "ann")
    assert code == 0 and "Removed ann." in out
    assert "ann" not in as_admin(db, "list")[1]
    code, out = as_admin(db, "remove", "lee")
    assert code == 1 and "last admin" in out
    assert "lee" in as_admin(db, "list")[1]


def test_a_wrong_role_and_a_short_password_are_refused(db: str) -> None:
    code, out = as_admin(db, "add", "kim", "--role", "owner", more="kim's long password!")
    assert code == 2 and "'owner' is not one of" in out
    code, out = as_admin(db, "add", "kim", "--role", "therapist", more="short")
    assert code == 1 and "a password has at least 12 characters" in out
    assert "kim" not in as_admin(db, "list")[1]


def test_a_therapist_cannot_manage_users(db: str) -> None:
    code, out = run(
        "users", "add", "kim", "--role", "admin", "--db", db, "--user", "ann",
        stdin=f"{THERAPIST[1]}\nkim's long password!",
    )  # fmt: skip
    assert code == 1 and "only an admin can add users" in out


def test_a_wrong_password_and_an_unknown_user_give_the_same_sentence(db: str) -> None:
    wrong = run("users", "list", "--db", db, "--user", "lee", stdin="not lee's password")
    unknown = run("users", "list", "--db", db, "--user", "nobody", stdin=ADMIN[1])
    assert wrong == unknown
    assert wrong[0] == 1 and "the user name or the password is wrong" in wrong[1]


def test_a_store_with_users_asks_who_is_signing_in(db: str) -> None:
    code, out = run("users", "list", "--db", db)
    assert code == 1 and "sign in with --user NAME" in out
