"""The message channels against real servers on loopback, and the secrets in a real keyring.

SMTP: aiosmtpd's Controller on 127.0.0.1 (plain, AUTH, STARTTLS, implicit TLS). SMS:
pytest-httpserver's werkzeug server as the gateway. Keyring: keyrings.alt's plain-text file
inside the test's temporary folder. Nothing of our own code is mocked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import string
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.core
import keyring.errors
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyring.compat import properties
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from keyring_setup import BACKEND, subprocess_env, use_file_keyring
from retention_tui import secrets
from retention_tui.channels import (
    EmailChannel,
    Outgoing,
    SendError,
    SmsChannel,
    is_email,
    make_message_id,
    normalise_phone,
    open_channel,
)
from retention_tui.errors import RetentionError

TEXT = "Beste Zoë, uw APK verloopt 1-12 & de afspraak = 9:30 #42 — 你好!"
PASSWORD = "s3cret-Pässword!"
TOKEN = "tok-8c1d2e3f4a5b"


# --- helpers and fixtures -------------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every envelope and the client's address per message."""

    def __init__(
        self,
        refuse: dict[str, str] | None = None,
        rcpt_delay: float = 0.0,
        data_delay: float = 0.0,
    ) -> None:
        self.envelopes: list[Envelope] = []
        self.peers: list[Any] = []
        self.tls: list[bool] = []
        self.refuse = refuse or {}
        self.rcpt_delay = rcpt_delay
        self.data_delay = data_delay

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        for prefix, reply in self.refuse.items():
            if address.startswith(prefix):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        self.tls.append(session.ssl is not None)
        return "250 2.0.0 Ok: queued"

    def parsed(self, index: int = -1) -> email.message.EmailMessage:
        content = self.envelopes[index].content
        assert isinstance(content, bytes)
        # On the wire lines end in CRLF; a mailbox stores them as LF.
        content = content.replace(b"\r\n", b"\n")
        return email.message_from_bytes(content, policy=email.policy.default)  # type: ignore[return-value]


class Authenticator:
    """Accepts one login and password; remembers who tried."""

    def __init__(self, login: str, password: str) -> None:
        self.login, self.password = login, password
        self.attempts: list[str] = []

    def __call__(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        login = auth_data.login.decode()
        self.attempts.append(login)
        ok = (login, auth_data.password.decode()) == (self.login, self.password)
        return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself


StartSmtp = Callable[..., Controller]


@pytest.fixture
def smtp_server() -> Iterator[StartSmtp]:
    """Start an aiosmtpd server on a free loopback port: ``smtp_server(handler, **smtp_kwargs)``."""
    started: list[Controller] = []

    def start(handler: Inbox | None = None, **kwargs: Any) -> Controller:
        for _attempt in range(5):
            controller = Controller(
                handler or Inbox(),
                hostname="127.0.0.1",
                port=free_port(),
                server_hostname="mail.test",
                ready_timeout=5.0,
                **kwargs,
            )
            try:
                controller.start()
            except Exception:  # the free port was taken in between: try another
                continue
            started.append(controller)
            return controller
        raise RuntimeError("no free port for the SMTP server")

    yield start
    for controller in started:
        controller.stop()


def email_config(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "Garage Demo <service@example.nl>",
        "timeout": 2,
        **extra,
    }


def sms_config(server: HTTPServer, path: str = "/v1/messages", **extra: Any) -> dict[str, Any]:
    return {"url": server.url_for(path), "sender": "GarageDemo", "timeout": 2, **extra}


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost and its key (PEM files)."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plain-text keyring file under this test's tmp folder; returns its data home."""
    data_home = tmp_path / "keyring-data"
    use_file_keyring(monkeypatch, data_home)
    return data_home


def send_error(action: Callable[[], object]) -> SendError:
    with pytest.raises(SendError) as caught:
        action()
    return caught.value


# --- email: what arrives --------------------------------------------------------------------


def test_email_arrives_with_its_headers_utf8_body_and_stable_message_id(
    smtp_server: StartSmtp,
) -> None:
    server = smtp_server()
    body = "Beste Zoë,\n\nUw APK is bijna verlopen. Grüße aus Köln, café crème, 你好，欢迎！\n"
    config = email_config(server.port, reply_to="werkplaats@example.nl")
    with EmailChannel(config, None) as channel:
        sent = channel.send(Outgoing("m-3f2a", "jan@example.com", "Uw APK — één afspraak?", body))
        again = channel.send(Outgoing("m-3f2a", "jan@example.com", "Uw APK — één afspraak?", body))

    assert sent == again == "<m-3f2a@example.nl>" == make_message_id("m-3f2a", "example.nl")
    inbox: Inbox = server.handler
    assert len(inbox.envelopes) == 2
    assert inbox.peers[0] == inbox.peers[1]  # one connection, reused
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == "service@example.nl"
    assert envelope.rcpt_tos == ["jan@example.com"]
    mail = inbox.parsed(0)
    assert mail["Message-ID"] == "<m-3f2a@example.nl>"
    assert inbox.parsed(1)["Message-ID"] == "<m-3f2a@example.nl>"
    assert mail["From"] == "Garage Demo <service@example.nl>"
    assert mail["To"] == "jan@example.com"
    assert mail["Reply-To"] == "werkplaats@example.nl"
    assert mail["Subject"] == "Uw APK — één afspraak?"
    assert mail["Date"].datetime is not None
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content() == body


def test_email_uses_the_given_message_id_and_keeps_lines_starting_with_a_dot(
    smtp_server: StartSmtp,
) -> None:
    server = smtp_server()
    body = "First line\n.\n..two dots\n.one dot\nlast\n"
    with EmailChannel(email_config(server.port), None) as channel:
        sent = channel.send(Outgoing("m-1", "a@example.com", "Dots", body, "<fixed@garage.nl>"))
    assert sent == "<fixed@garage.nl>"
    mail = server.handler.parsed()
    assert mail["Message-ID"] == "<fixed@garage.nl>"
    assert mail.get_content() == body


def test_email_to_an_accented_domain_goes_to_its_ascii_form(smtp_server: StartSmtp) -> None:
    server = smtp_server()
    with EmailChannel(email_config(server.port), None) as channel:
        channel.send(Outgoing("m-1", "klant@müller.de", "Hallo", "Tag!"))
    assert server.handler.envelopes[0].rcpt_tos == ["klant@xn--mller-kva.de"]


def test_email_to_an_accented_local_part_needs_smtputf8(smtp_server: StartSmtp) -> None:
    modern = smtp_server(enable_SMTPUTF8=True)
    with EmailChannel(email_config(modern.port), None) as channel:
        channel.send(Outgoing("m-1", "zoë@example.nl", "Hallo", "Dag Zoë"))
    assert modern.handler.envelopes[0].rcpt_tos == ["zoë@example.nl"]
    assert modern.handler.parsed()["To"] == "zoë@example.nl"

    old = smtp_server(enable_SMTPUTF8=False)
    with EmailChannel(email_config(old.port), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-2", "zoë@example.nl", "Hi", "Dag")))
    assert error.kind == "permanent"
    assert "zoë@example.nl" in error.message
    assert old.handler.envelopes == []


def test_email_reconnects_once_when_the_server_dropped_the_idle_connection(
    smtp_server: StartSmtp,
) -> None:
    server = smtp_server(timeout=0.3)  # aiosmtpd says 421 and hangs up after 0.3 s idle
    with EmailChannel(email_config(server.port), None) as channel:
        channel.send(Outgoing("m-1", "a@example.com", "One", "first"))
        time.sleep(0.6)
        channel.send(Outgoing("m-2", "b@example.com", "Two", "second"))
    inbox: Inbox = server.handler
    assert [e.rcpt_tos for e in inbox.envelopes] == [["a@example.com"], ["b@example.com"]]
    assert inbox.peers[0] != inbox.peers[1]  # a second connection


# --- email: failures and their kind ---------------------------------------------------------


def test_email_server_down_is_transient() -> None:
    port = free_port()
    with EmailChannel(email_config(port), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "a@example.com", "S", "B")))
    assert error.kind == "transient"
    assert f"127.0.0.1:{port}" in error.message
    assert "connection refused" in error.message


def test_email_malformed_recipient_is_permanent_without_contacting_the_server() -> None:
    # Nothing listens: reaching the server would be transient, so permanent proves no attempt.
    with EmailChannel(email_config(free_port()), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "jan at example", "S", "B")))
    assert error.kind == "permanent"
    assert "'jan at example' is not an email address" in error.message


def test_email_refused_recipient_is_permanent_and_the_connection_stays_usable(
    smtp_server: StartSmtp,
) -> None:
    inbox = Inbox(refuse={"ghost@": "550 5.1.1 <ghost@example.com>: User unknown"})
    server = smtp_server(inbox)
    with EmailChannel(email_config(server.port), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "ghost@example.com", "S", "B")))
        channel.send(Outgoing("m-2", "real@example.com", "S", "B"))
    assert error.kind == "permanent"
    assert "550" in error.message and "ghost@example.com" in error.message
    assert [e.rcpt_tos for e in inbox.envelopes] == [["real@example.com"]]
    assert inbox.peers[0] is not None


def test_email_recipient_busy_4xx_is_transient(smtp_server: StartSmtp) -> None:
    server = smtp_server(Inbox(refuse={"full@": "452 4.2.2 Mailbox full, try later"}))
    with EmailChannel(email_config(server.port), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "full@example.com", "S", "B")))
    assert error.kind == "transient"
    assert "452" in error.message


def test_email_no_answer_before_the_content_is_transient(smtp_server: StartSmtp) -> None:
    server = smtp_server(Inbox(rcpt_delay=5.0))
    started = time.perf_counter()
    with EmailChannel(email_config(server.port, timeout=0.5), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "a@example.com", "S", "B")))
    assert error.kind == "transient"
    assert "did not answer in time" in error.message
    assert time.perf_counter() - started < 3


def test_email_no_answer_after_data_is_unknown(smtp_server: StartSmtp) -> None:
    server = smtp_server(Inbox(data_delay=5.0))
    started = time.perf_counter()
    with EmailChannel(email_config(server.port, timeout=0.5), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "a@example.com", "S", "B")))
    assert error.kind == "unknown"
    assert "may or may not have been sent" in error.message
    assert time.perf_counter() - started < 3


# --- email: login and TLS -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_email_logs_in_and_a_wrong_password_is_permanent_without_the_password(
    smtp_server: StartSmtp,
) -> None:
    auth = Authenticator("garage", PASSWORD)
    server = smtp_server(authenticator=auth, auth_required=True, auth_require_tls=False)
    config = email_config(server.port, username="garage")
    with EmailChannel(config, PASSWORD) as channel:
        channel.send(Outgoing("m-1", "a@example.com", "S", "B"))
    assert len(server.handler.envelopes) == 1

    with EmailChannel(config, "wrong-" + PASSWORD) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-2", "a@example.com", "S", "B")))
    assert error.kind == "permanent"
    assert error.channel_wide
    assert "retention-tui secrets set smtp" in error.message
    assert PASSWORD not in error.message and PASSWORD not in repr(error)
    assert auth.attempts[0] == "garage" and len(server.handler.envelopes) == 1


def test_email_starttls_with_login(smtp_server: StartSmtp, server_tls: ssl.SSLContext) -> None:
    auth = Authenticator("garage", "ascii-only-password")  # smtplib's own login path
    # AUTH only after STARTTLS (aiosmtpd's default auth_require_tls=True), STARTTLS required.
    server = smtp_server(tls_context=server_tls, require_starttls=True, authenticator=auth,
                         auth_required=True)  # fmt: skip
    config = email_config(server.port, security="starttls", verify=False, username="garage")
    with EmailChannel(config, "ascii-only-password") as channel:
        channel.send(Outgoing("m-1", "a@example.com", "Veilig", "Über TLS"))
    assert server.handler.tls == [True]
    assert auth.attempts == ["garage"]
    assert server.handler.parsed().get_content() == "Über TLS\n"


def test_email_implicit_tls(smtp_server: StartSmtp, server_tls: ssl.SSLContext) -> None:
    server = smtp_server(ssl_context=server_tls)
    config = email_config(server.port, security="tls", verify=False)
    with EmailChannel(config, None) as channel:
        channel.send(Outgoing("m-1", "a@example.com", "S", "B"))
    assert len(server.handler.envelopes) == 1


def test_email_untrusted_certificate_is_refused_by_default(
    smtp_server: StartSmtp, server_tls: ssl.SSLContext
) -> None:
    server = smtp_server(tls_context=server_tls, require_starttls=True)
    with EmailChannel(email_config(server.port, security="starttls"), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "a@example.com", "S", "B")))
    assert error.kind == "permanent" and error.channel_wide
    assert "certificate" in error.message and "verify" in error.message
    assert server.handler.envelopes == []


def test_email_starttls_missing_is_not_silently_skipped(smtp_server: StartSmtp) -> None:
    server = smtp_server()  # no TLS context: no STARTTLS offered
    with EmailChannel(email_config(server.port, security="starttls"), None) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "a@example.com", "S", "B")))
    assert error.kind == "permanent" and "STARTTLS" in error.message
    assert server.handler.envelopes == []


@pytest.mark.parametrize(
    ("config", "password", "says"),
    [
        ({"sender": "a@b.nl"}, None, "no mail server"),
        ({"host": "h", "sender": "a@b.nl", "security": "ssl"}, None, "starttls, tls or none"),
        ({"host": "h", "sender": "Garage"}, None, "not an email address"),
        ({"host": "h", "sender": "a@b.nl", "port": "x"}, None, "must be a number"),
        ({"host": "h", "sender": "a@b.nl", "username": "u"}, None, "secrets set smtp"),
        ({"url": "ftp://gw"}, TOKEN, "https://"),
        ({"url": "https://gw", "auth": "cookie"}, TOKEN, "bearer, basic"),
        ({"url": "https://gw", "auth": "basic"}, TOKEN, "no username"),
        ({"url": "https://gw", "auth": "header:X-Key"}, None, "secrets set sms"),
    ],
)
def test_incomplete_setup_is_one_clear_sentence(
    config: dict[str, Any], password: str | None, says: str
) -> None:
    kind = SmsChannel if "url" in config else EmailChannel
    with pytest.raises(RetentionError) as caught:
        kind(config, password)
    assert says in caught.value.message


# --- SMS ------------------------------------------------------------------------------------


def test_sms_json_body_with_bearer_auth(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/v1/messages",
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        json={"to": "+31612345678", "text": TEXT, "reference": "m-1", "from": "GarageDemo"},
    ).respond_with_json({"id": "gw-42", "status": "accepted"}, status=201)
    config = sms_config(
        httpserver,
        body='{"to": {to_json}, "text": {text_json}, "reference": {ref_json}, '
        '"from": {sender_json}}',
        auth="bearer",
        id_field="id",
    )
    with SmsChannel(config, TOKEN) as channel:
        assert channel.send(Outgoing("m-1", "06-12345678", None, TEXT)) == "gw-42"
    httpserver.check_assertions()
    assert len(httpserver.log) == 1


def test_sms_form_body_with_basic_auth(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/send", method="POST").respond_with_data("OK")
    config = sms_config(
        httpserver,
        "/api/send",
        content_type="application/x-www-form-urlencoded",
        body="to={to}&text={text}&ref={ref}",
        auth="basic",
        username="garage",
    )
    with SmsChannel(config, TOKEN) as channel:
        # No id_field: the client reference is the id.
        assert channel.send(Outgoing("m-2", "+49 151 1234567", None, TEXT)) == "m-2"
    request: Request = httpserver.log[0][0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form.to_dict() == {"to": "+491511234567", "text": TEXT, "ref": "m-2"}
    assert request.authorization is not None
    assert (request.authorization.username, request.authorization.password) == ("garage", TOKEN)


def test_sms_get_with_query_placeholders_and_query_auth(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/send", method="GET").respond_with_data("queued")
    url = (
        f"http://{httpserver.host}:{httpserver.port}/send"
        "?to={to}&msisdn={to_digits}&msg={text}&ref={ref}&from={sender}"
    )
    config = {"url": url, "method": "GET", "auth": "query:api_key", "sender": "Garage Demo"}
    with SmsChannel(config, TOKEN) as channel:
        assert channel.send(Outgoing("m-3", "0031 6 1234 5678", None, TEXT)) == "m-3"
    request: Request = httpserver.log[0][0]
    assert request.method == "GET" and request.get_data() == b""
    assert request.args.to_dict() == {
        "to": "+31612345678",
        "msisdn": "31612345678",
        "msg": TEXT,
        "ref": "m-3",
        "from": "Garage Demo",
        "api_key": TOKEN,
    }
    assert "Authorization" not in request.headers


def test_sms_header_auth_and_nested_id_field(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/v1/messages", method="POST", headers={"X-Api-Key": TOKEN}
    ).respond_with_json({"messages": [{"id": "abc-1", "status": "queued"}]})
    config = sms_config(httpserver, auth="header:X-Api-Key", id_field="messages.0.id")
    with SmsChannel(config, TOKEN) as channel:
        assert channel.send(Outgoing("m-4", "+31 (0)6 12 34 56 78", None, "Hoi")) == "abc-1"
    request: Request = httpserver.log[0][0]
    assert "Authorization" not in request.headers
    # The default JSON body when the setup names none.
    assert request.get_json() == {
        "to": "+31612345678",
        "text": "Hoi",
        "reference": "m-4",
        "from": "GarageDemo",
    }


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (500, "transient"),
        (502, "transient"),
        (503, "transient"),
        (429, "transient"),
        (408, "transient"),
        (400, "permanent"),
        (404, "permanent"),
        (422, "permanent"),
        (401, "permanent"),
        (403, "permanent"),
    ],
)
def test_sms_gateway_status_decides_the_kind(
    httpserver: HTTPServer, status: int, kind: str
) -> None:
    httpserver.expect_request("/v1/messages").respond_with_data("invalid number", status=status)
    with SmsChannel(sms_config(httpserver), TOKEN) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "0612345678", None, "Hoi")))
    assert error.kind == kind
    assert str(status) in error.message
    assert error.channel_wide == (status in (401, 403))
    if status in (401, 403):
        assert "retention-tui secrets set sms" in error.message
    else:
        assert "invalid number" in error.message


def test_sms_no_answer_in_time_after_sending_is_unknown(httpserver: HTTPServer) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(5)
        return Response("late", status=200)

    httpserver.expect_request("/v1/messages").respond_with_handler(slow)
    started = time.perf_counter()
    try:
        with SmsChannel(sms_config(httpserver, timeout=0.3), TOKEN) as channel:
            error = send_error(lambda: channel.send(Outgoing("m-1", "0612345678", None, "Hi")))
    finally:
        release.set()
    assert error.kind == "unknown"
    assert "may or may not have been sent" in error.message
    assert time.perf_counter() - started < 2


def test_sms_gateway_down_is_transient_and_keeps_the_token_out() -> None:
    port = free_port()
    config = {"url": f"http://127.0.0.1:{port}/send?to={{to}}", "auth": "query:key"}
    with SmsChannel(config, TOKEN) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "0612345678", None, "Hi")))
    assert error.kind == "transient"
    assert f"127.0.0.1:{port}" in error.message
    assert TOKEN not in error.message


def test_sms_not_a_phone_number_is_permanent_without_contacting_the_gateway() -> None:
    with SmsChannel({"url": f"http://127.0.0.1:{free_port()}/"}, TOKEN) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "bel na 17u", None, "Hi")))
    assert error.kind == "permanent"
    assert "'bel na 17u' is not a phone number" in error.message


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    token=st.text(
        alphabet=string.ascii_letters + string.digits + "-_.~+/=%&?#:", min_size=12, max_size=48
    ),
    auth=st.sampled_from(["bearer", "basic", "header:X-Api-Key", "query:key"]),
    status=st.sampled_from([400, 401, 500]),
)
def test_sms_error_text_never_holds_the_token(
    make_httpserver: HTTPServer, token: str, auth: str, status: int
) -> None:
    """A gateway that echoes the whole request back in its error must not leak the token."""
    server = make_httpserver
    server.clear()

    def echo(request: Request) -> Response:
        seen = f"url={request.url} full={request.full_path} headers={dict(request.headers)}"
        return Response(f"bad request: {seen}", status=status)

    server.expect_request("/v1/messages").respond_with_handler(echo)
    config = sms_config(server, auth=auth, username="garage", id_field="id")
    with SmsChannel(config, token) as channel:
        error = send_error(lambda: channel.send(Outgoing("m-1", "0612345678", None, "Hi")))
    server.check_handler_errors()
    for text in (error.message, str(error), repr(error)):
        assert token not in text
    from urllib.parse import unquote, unquote_plus

    assert token not in unquote(error.message) and token not in unquote_plus(error.message)


# --- secrets in the keyring -----------------------------------------------------------------


def test_secrets_round_trip_in_a_real_file_keyring(file_keyring: Path) -> None:
    assert secrets.backend_name() == BACKEND
    assert secrets.get_secret("smtp") is None
    secrets.set_secret("smtp", PASSWORD)
    secrets.set_secret("sms", TOKEN)
    assert secrets.get_secret("smtp") == PASSWORD
    secrets.set_secret("smtp", "replaced")
    assert secrets.get_secret("smtp") == "replaced"
    stored = file_keyring / "python_keyring" / "keyring_pass.cfg"
    assert stored.is_file() and "[retention_2Dtui]" in stored.read_text()  # escaped name
    assert secrets.delete_secret("smtp") is True
    assert secrets.delete_secret("smtp") is False
    assert secrets.get_secret("smtp") is None
    assert secrets.get_secret("sms") == TOKEN


def test_a_subprocess_reads_the_same_keyring(file_keyring: Path) -> None:
    secrets.set_secret("sms", TOKEN)
    code = (
        "from retention_tui import secrets; "
        "print(secrets.backend_name()); print(secrets.get_secret('sms'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=subprocess_env(file_keyring),
        timeout=30,
    ).stdout.splitlines()
    assert out == [BACKEND, TOKEN]


def test_unknown_kind_and_empty_value_are_refused(file_keyring: Path) -> None:
    with pytest.raises(RetentionError, match="smtp or sms"):
        secrets.set_secret("imap", "x")
    with pytest.raises(RetentionError, match="empty"):
        secrets.set_secret("smtp", "")


def test_no_keyring_backend_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(RetentionError) as caught:
        secrets.set_secret("smtp", PASSWORD)
    problem = caught.value
    assert "No keyring is available" in problem.message
    assert "keyrings.alt" in problem.message and "PYTHON_KEYRING_BACKEND" in problem.message
    assert PASSWORD not in problem.message
    assert problem.__cause__ is None and problem.__suppress_context__
    with pytest.raises(RetentionError, match="No keyring is available"):
        secrets.get_secret("smtp")
    with pytest.raises(RetentionError, match="No keyring is available"):
        secrets.delete_secret("smtp")
    # A channel that needs the secret cannot be opened, and says why.
    with pytest.raises(RetentionError, match="No keyring is available"):
        open_channel("sms", {"url": "https://gw.example/send"})


class LockedKeyring(keyring.backend.KeyringBackend):
    """A keyring that is there but locked, as a Secret Service without an unlocked session."""

    @properties.classproperty
    def priority(cls) -> float:
        # Never viable, so keyring's own backend choice (in any later test) never picks it.
        raise RuntimeError("only for tests")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")


def test_a_failing_keyring_is_one_sentence_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(RetentionError) as caught:
        secrets.set_secret("sms", TOKEN)
    assert "LockedKeyring" in caught.value.message
    assert "the collection is locked" in caught.value.message
    assert TOKEN not in caught.value.message
    with pytest.raises(RetentionError, match="could not read the smtp secret"):
        secrets.get_secret("smtp")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_open_channel_email_logs_in_with_the_keyring_password(
    file_keyring: Path, smtp_server: StartSmtp
) -> None:
    auth = Authenticator("garage", PASSWORD)
    server = smtp_server(authenticator=auth, auth_required=True, auth_require_tls=False)
    config = email_config(server.port, username="garage")
    with pytest.raises(RetentionError, match="retention-tui secrets set smtp"):
        open_channel("email", config)  # nothing stored yet
    secrets.set_secret("smtp", PASSWORD)
    channel = open_channel("email", config)
    try:
        assert channel.name == "email"
        assert channel.send(Outgoing("m-9", "a@example.com", "S", "B")) == "<m-9@example.nl>"
    finally:
        channel.close()
    assert auth.attempts == ["garage"]
    assert len(server.handler.envelopes) == 1


def test_open_channel_sms_sends_the_keyring_token(
    file_keyring: Path, httpserver: HTTPServer
) -> None:
    secrets.set_secret("sms", TOKEN)
    httpserver.expect_request(
        "/v1/messages", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"id": 7})
    channel = open_channel("sms", sms_config(httpserver, id_field="id"))
    try:
        assert channel.name == "sms"
        assert channel.send(Outgoing("m-1", "06 12345678", None, "Hoi")) == "7"
    finally:
        channel.close()
    httpserver.check_assertions()


@pytest.mark.parametrize(
    ("name", "config", "says"),
    [
        ("email", {"port": 25}, "no mail server"),
        ("sms", {"method": "POST"}, "no gateway address"),
        ("letter", {"host": "x"}, "not a channel that can send"),
    ],
)
def test_open_channel_without_server_is_refused(
    name: str, config: dict[str, Any], says: str
) -> None:
    with pytest.raises(RetentionError, match=says):
        open_channel(name, config)


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06-12345678", "+31612345678"),
        ("06 1234 5678", "+31612345678"),
        ("0612345678", "+31612345678"),
        ("+31612345678", "+31612345678"),
        ("+31 6 12345678", "+31612345678"),
        ("+31 (0)6 12345678", "+31612345678"),
        ("0031 6 12345678", "+31612345678"),
        ("+31 06 12345678", "+31612345678"),
        ("612345678", "+31612345678"),  # a spreadsheet dropped the 0
        ("31612345678", "+31612345678"),
        ("020-123 45 67", "+31201234567"),
        ("(020) 1234567", "+31201234567"),
        ("+49 151 1234567", "+491511234567"),
        ("+49 (0)151 1234567", "+491511234567"),
        ("+32 470 12 34 56", "+32470123456"),
        ("+44 7911 123456", "+447911123456"),
        ("", None),
        ("n.v.t.", None),
        ("bel na 17u", None),
        ("06-1234", None),
        ("06-123456789", None),
        ("+31 6 1234567", None),
        ("06-12345678 / 06-87654321", None),
        ("+0612345678", None),
        ("+1234567890123456", None),
        ("06 12345678 x12", None),
        ("٠٦١٢٣٤٥٦٧٨", None),
    ],
)
def test_normalise_phone(text: str, expected: str | None) -> None:
    assert normalise_phone(text) == expected


def test_normalise_phone_other_default_country() -> None:
    assert normalise_phone("0151 1234567", default_country="+49") == "+491511234567"
    assert normalise_phone("0470 12 34 56", "+32") == "+32470123456"
    assert normalise_phone("+31612345678", "+49") == "+31612345678"


@given(st.text(alphabet="0123456789+-() ./", max_size=24) | st.text(max_size=24))
def test_normalise_phone_is_idempotent_and_e164(text: str) -> None:
    once = normalise_phone(text)
    if once is not None:
        assert normalise_phone(once) == once
        assert once.startswith("+") and once[1:].isdigit() and 8 <= len(once) - 1 <= 15
        assert once.isascii()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jan@example.com", True),
        ("j.de.vries+apk@garage-demo.nl", True),
        ("klant@müller.de", True),
        ("zoë@example.nl", True),
        ("", False),
        ("jan", False),
        ("jan@example", False),
        ("jan@@example.com", False),
        ("jan@exa@mple.com", False),
        ("jan @example.com", False),
        ("jan@example.com ", False),
        ("@example.com", False),
        ("jan@.example.com", False),
        ("jan@example.com.", False),
        ("jan@example..com", False),
        (".jan@example.com", False),
        ("Jan <jan@example.com>", False),
        ("a@b.nl, c@d.nl", False),
        ("jan@example.com\nBcc: x@y.nl", False),
    ],
)
def test_is_email(text: str, expected: bool) -> None:
    assert is_email(text) is expected


def test_message_id_is_stable_and_safe() -> None:
    assert make_message_id("m-3f2a", "example.nl") == "<m-3f2a@example.nl>"
    assert make_message_id("m-3f2a", "example.nl") == make_message_id("m-3f2a", "example.nl")
    assert make_message_id("m 1<x>", "example.nl") == "<m-1-x-@example.nl>"
