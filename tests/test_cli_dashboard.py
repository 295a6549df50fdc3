"""The demo and serve commands, without starting a real server."""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import dash
import pytest
from click.testing import CliRunner, Result

from dashboards.auth import DEFAULT_IDLE_MINUTES
from dashboards.context import STORE_KEY
from ipt_network import Inventory
from ipt_network.cli import main
from ipt_network.io.store import Store


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace Dash.run: record each call (and what the app's store holds) instead of serving."""
    calls: list[dict[str, Any]] = []

    def fake_run(app: dash.Dash, **kwargs: Any) -> None:
        store = app.server.config[STORE_KEY]
        calls.append(
            {
                **kwargs,
                # A store with users gives its clients to a signed-in user only.
                "clients": None if store.has_users() else store.client_ids(),
                "db": str(store.engine.url.database),
            }
        )

    monkeypatch.setattr(dash.Dash, "run", fake_run)
    return calls


def refusal(result: Result) -> str:
    """The error a command ended with, checked to be one sentence; no server was started."""
    assert result.exit_code != 0
    text = " ".join(result.output.split("Error: ", 1)[1].split())
    assert text.endswith(".") and ". " not in text, text  # one sentence
    return text


@pytest.mark.parametrize("command", ["demo", "serve"])
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org", "::"])
def test_other_hosts_are_refused(runs: list[dict[str, Any]], command: str, host: str) -> None:
    text = refusal(CliRunner().invoke(main, [command, "--host", host]))
    assert "listens only on this computer" in text
    assert ("serve --auth" if command == "demo" else "add --auth") in text
    assert runs == []


@pytest.fixture
def users_db(users_store: Store) -> str:
    """The file of ``users_store``: a store with an admin, two therapists and a researcher."""
    return str(users_store.engine.url.database)


@pytest.fixture
def cert(tmp_path: Path) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key (PEM files)."""
    import ipaddress
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--host", "0.0.0.0", "--auth"], "--auth beyond this computer needs TLS: give --cert"),
        (["--host", "10.0.0.5", "--auth", "--allowed-host", "ipt.example.org"], "needs TLS"),
        (["--auth", "--cert", "{cert}"], "give --cert and --key together"),
        (["--auth", "--key", "{key}"], "give --cert and --key together"),
        (["--behind-proxy"], "--behind-proxy opens the dashboard to others: add --auth"),
        (["--host", "0.0.0.0", "--behind-proxy"], "add --auth"),
        (["--idle-minutes", "5"], "--idle-minutes is for signed-in sessions: add --auth"),
        (["--auth", "--proxy-address", "10.0.0.2"], "add --behind-proxy"),
        ([], "this store has users, so it is served with sign-in only: add --auth"),
        (["--host", "0.0.0.0", "--cert", "{cert}", "--key", "{key}"], "add --auth"),
    ],
)
def test_serve_refuses_what_is_not_safe_in_one_sentence(
    runs: list[dict[str, Any]],
    users_db: str,
    cert: tuple[str, str],
    args: list[str],
    says: str,
) -> None:
    filled = [a.format(cert=cert[0], key=cert[1]) for a in args]
    text = refusal(CliRunner().invoke(main, ["serve", "--db", users_db, *filled]))
    assert says in text
    assert runs == []


def test_serve_with_auth_on_a_store_without_users_says_to_add_an_admin(
    runs: list[dict[str, Any]], tmp_path: Path, samples_inv: Inventory
) -> None:
    db = tmp_path / "alone.db"
    Store.create(db).import_inventory(samples_inv.for_clients(["grief-01"]))
    text = refusal(CliRunner().invoke(main, ["serve", "--db", str(db), "--auth"]))
    assert "`ipt-network users add NAME --role admin`" in text
    assert runs == []
    # Doing what it says makes the same command serve, with sign-in.
    password = "the practice admin's long password"
    added = CliRunner().invoke(
        main, ["users", "add", "lee", "--role", "admin", "--db", str(db)], input=password + "\n"
    )
    assert added.exit_code == 0, added.output
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--auth"])
    assert result.exit_code == 0, result.output
    assert f"sessions end after {DEFAULT_IDLE_MINUTES} idle minutes" in result.output
    [call] = runs
    assert call["host"] == "127.0.0.1" and call["ssl_context"] is None


def test_serve_with_auth_and_tls_may_listen_on_other_machines(
    runs: list[dict[str, Any]], users_db: str, cert: tuple[str, str]
) -> None:
    args = ["serve", "--db", users_db, "--auth", "--host", "0.0.0.0", "--port", "8443"]
    result = CliRunner().invoke(main, [*args, "--cert", cert[0], "--key", cert[1]])
    assert result.exit_code == 0, result.output
    assert "https://0.0.0.0:8443/" in result.output
    behind = CliRunner().invoke(main, ["serve", "--db", users_db, "--auth", "--behind-proxy"])
    assert behind.exit_code == 0, behind.output
    served, proxied = runs
    assert served["host"] == "0.0.0.0" and isinstance(served["ssl_context"], ssl.SSLContext)
    assert proxied["host"] == "127.0.0.1" and proxied["ssl_context"] is None


def test_a_key_that_is_not_the_certificates_is_refused(
    runs: list[dict[str, Any]], users_db: str, cert: tuple[str, str], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.pem"
    wrong.write_text("not a key\n")
    args = ["serve", "--db", users_db, "--auth", "--cert", cert[0], "--key", str(wrong)]
    text = refusal(CliRunner().invoke(main, args))
    assert "give a PEM certificate" in text and runs == []


def test_serve_with_tls_answers_https_for_real(users_db: str, cert: tuple[str, str]) -> None:
    """The command itself, in its own process: https only, HSTS, the form, a Secure cookie."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(Path(sys.executable).with_name("ipt-network")),
        "serve",
        "--db",
        users_db,
        "--auth",
    ]
    command += ["--port", str(port), "--cert", cert[0], "--key", cert[1]]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        context = ssl.create_default_context(cafile=cert[0])
        url = f"https://localhost:{port}"
        response = None
        for _ in range(100):
            try:
                response = _get(f"{url}/client/grief-01", context)
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.1)
        assert response is not None, "the server did not start"
        status, headers, _ = response
        assert status == 302
        assert headers["Location"] == "/login?next=/client/grief-01"
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        status, headers, body = _get(f"{url}/login", context)
        assert status == 200 and b'name="csrf_token"' in body
        cookie = headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        with pytest.raises((ConnectionError, urllib.error.URLError, http.client.HTTPException)):
            _get(f"http://localhost:{port}/login", None)  # plain http gets no page
    finally:
        server.terminate()
        out, err = server.communicate(timeout=20)
    assert "grief-01" not in out + err  # no request log


def test_demo_serves_a_temporary_copy_of_the_samples(
    runs: list[dict[str, Any]], samples_inv: Inventory
) -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8050/" in result.output
    [call] = runs
    assert (call["host"], call["port"], call["debug"]) == ("127.0.0.1", 8050, False)
    assert sorted(call["clients"]) == sorted(samples_inv.client_ids())
    assert not Path(call["db"]).exists()  # the temporary copy is gone after the demo


def test_serve_opens_the_given_store(
    runs: list[dict[str, Any]], tmp_path: Path, samples_inv: Inventory
) -> None:
    db = tmp_path / "mine.db"
    Store.create(db).import_inventory(samples_inv.for_clients(["grief-01"]))
    result = CliRunner().invoke(
        main, ["serve", "--db", str(db), "--port", "9123", "--host", "localhost"]
    )
    assert result.exit_code == 0, result.output
    assert "http://localhost:9123/" in result.output
    [call] = runs
    assert (call["host"], call["port"], call["debug"]) == ("localhost", 9123, False)
    assert call["clients"] == ["grief-01"] and Path(call["db"]) == db.resolve()


def test_serve_without_a_store_says_how_to_make_one(
    runs: list[dict[str, Any]], tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0
    assert "no store at" in result.output and "ipt-network init" in result.output
    assert runs == []


def test_a_taken_port_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(app: dash.Dash, **kwargs: Any) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(dash.Dash, "run", busy)
    result = CliRunner().invoke(main, ["demo", "--port", "8123"])
    assert result.exit_code != 0
    assert "port 8123" in result.output and "--port" in result.output


def test_request_logs_are_silenced(runs: list[dict[str, Any]]) -> None:
    logging.getLogger("werkzeug").setLevel(logging.INFO)
    CliRunner().invoke(main, ["demo"])
    assert logging.getLogger("werkzeug").level == logging.ERROR


def test_help_is_written_for_a_clinician() -> None:
    for command in ("demo", "serve"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "browser" in result.output and "--port" in result.output
    serve_help = " ".join(CliRunner().invoke(main, ["serve", "--help"]).output.split())
    assert f"(default: {DEFAULT_IDLE_MINUTES})" in serve_help  # the help names the real default


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, context: ssl.SSLContext | None) -> tuple[int, Any, bytes]:
    """GET ``url`` without following redirects: its status, headers and body."""
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()
