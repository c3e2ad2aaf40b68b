"""The message channels: email over SMTP and SMS over an HTTP gateway.

The outbox hands each channel one :class:`Outgoing` at a time and records what
:meth:`Channel.send` returns (the provider's id) or the :class:`SendError` it raises. The error's
``kind`` decides what the outbox does next, so it is chosen by *when* a failure happened:

* ``transient``: nothing of the message reached the provider, or the provider said "later";
  trying again cannot send it twice.
* ``permanent``: the provider refused this message (or the channel's setup is wrong); trying
  again would fail the same way.
* ``unknown``: the connection broke after the message was handed over, so it may have gone out;
  retrying could send it twice, so a person decides.

Credentials come from :mod:`retention_tui.secrets` and never appear in an error's text.
No Textual and no SQL here.
"""

from __future__ import annotations

import base64
import email.policy
import email.utils
import json
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

from . import secrets
from .errors import RetentionError
from .i18n import _

if TYPE_CHECKING:  # httpx costs a fifth of a second to import: only the SMS channel needs it.
    import httpx

__all__ = [
    "Channel",
    "EmailChannel",
    "Outgoing",
    "SendError",
    "SmsChannel",
    "is_email",
    "make_message_id",
    "normalise_phone",
    "open_channel",
]

DEFAULT_TIMEOUT = 20.0
SEND_KINDS = ("transient", "permanent", "unknown")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as the outbox hands it to a channel."""

    key: str
    """The outbox row's stable idempotency key (also the SMS client reference)."""
    recipient: str
    """The email address or phone number as stored on the customer."""
    subject: str | None
    """Email only."""
    body: str
    message_id: str | None = None
    """Email: the Message-ID header value including ``<>``; None: made from ``key``."""


class SendError(Exception):
    """A message was not (or may not have been) sent; ``kind`` says what the outbox should do.

    ``kind`` is "transient" (try again later), "permanent" (never retry) or "unknown" (it may
    have gone out). ``message`` is one sentence for the advisor and never holds a credential.
    ``channel_wide`` is True when the channel's setup is at fault (wrong password, untrusted
    certificate, refused token), so every other message on the channel will fail the same way.
    """

    def __init__(self, kind: str, message: str, *, channel_wide: bool = False) -> None:
        if kind not in SEND_KINDS:
            raise ValueError(f"kind must be one of {SEND_KINDS}, not {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.channel_wide = channel_wide

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"SendError({self.kind!r}, {self.message!r})"


class Channel(Protocol):
    """What the outbox needs of a channel."""

    name: str

    def send(self, message: Outgoing) -> str:
        """Send ``message``; return the provider's id or raise :class:`SendError`."""
        ...

    def close(self) -> None:
        """Let go of the connection; the channel may not be used afterwards."""
        ...


# --- addresses ------------------------------------------------------------------------------

_MSGID_UNSAFE = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")
_EMAIL_FORBIDDEN = set('<>(),;:"[]\\')


def make_message_id(key: str, domain: str) -> str:
    """The Message-ID for the outbox row ``key``: ``<key@domain>``, the same on every attempt.

    Characters a Message-ID may not hold are replaced by ``-`` (deterministically).
    """
    return f"<{_MSGID_UNSAFE.sub('-', key)}@{_MSGID_UNSAFE.sub('-', domain)}>"


def is_email(text: str) -> bool:
    """Whether ``text`` looks like one deliverable address: ``local@domain.tld``, no spaces.

    Pragmatic, not RFC 5322: display names, quoted local parts and lists are refused;
    non-ASCII (internationalised) addresses are allowed.
    """
    if not text or len(text) > 254 or text.count("@") != 1:
        return False
    if any(ch.isspace() or ch in _EMAIL_FORBIDDEN or ord(ch) < 32 for ch in text):
        return False
    local, domain = text.split("@")
    if not local or local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    if "." not in domain or domain.startswith((".", "-")) or domain.endswith((".", "-")):
        return False
    return ".." not in domain


_PHONE_SEPARATORS = re.compile(r"[\s\-./()\u00a0]")
_TRUNK_ZERO = re.compile(r"^(?:\+|00)\s*([0-9]{1,3})\s*\(0\)")


def normalise_phone(text: str, default_country: str = "+31") -> str | None:
    """The number in international form (``+31612345678``), or None if it is not plausible.

    Accepts spaces, dashes, dots, slashes and brackets as separators, ``00`` for ``+``, the
    ``+31 (0)6 …`` style, and national numbers (``06-12345678``) in ``default_country``.
    Bare digits without a leading 0 are read as a national number whose 0 was lost (a
    spreadsheet does that), unless they already start with the default country's code.
    Dutch numbers (+31) must have exactly nine digits after the country code.
    """
    if not text:
        return None
    value = text.strip()
    value = _TRUNK_ZERO.sub(lambda m: "+" + m.group(1), value, count=1)
    value = _PHONE_SEPARATORS.sub("", value)
    country = default_country.strip().lstrip("+")
    if not re.fullmatch(r"[1-9][0-9]{0,2}", country):
        raise ValueError(f"default_country must look like '+31', not {default_country!r}")
    if value.startswith("+"):
        digits = value[1:]
    elif value.startswith("00"):
        digits = value[2:]
    elif value.startswith("0"):
        # The trunk 0 is dropped after the country code, except in Italy (and San Marino),
        # where it is part of the number: 06 1234567 is +39 06 1234567.
        digits = country + (value if country in ("39", "378") else value[1:])
    elif value.startswith(country) and len(value) >= len(country) + 9:
        digits = value
    else:
        digits = country + value
    if not re.fullmatch(r"[1-9][0-9]{7,14}", digits):
        return None
    if digits.startswith("31"):
        national = digits[2:]
        if len(national) == 10 and national.startswith("0"):  # "+31 06 …"
            national = national[1:]
        if len(national) != 9 or national.startswith("0"):
            return None
        digits = "31" + national
    return "+" + digits


def _scrub(text: str, *secrets_: str | None) -> str:
    """``text`` with every secret (plain, URL-encoded or base64) replaced by ``***``."""
    present = [s for s in secrets_ if s]

    def replace_forms(text: str) -> str:
        for secret in present:
            forms = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
            forms.add(base64.b64encode(secret.encode("utf-8")).decode("ascii").rstrip("="))
            for form in sorted(forms, key=len, reverse=True):
                if form:
                    text = text.replace(form, "***")
        return text

    text = replace_forms(text)
    # A URL may escape some characters of a secret and not others: decode and scrub again.
    for decode in (unquote, unquote_plus):
        if any(secret in decode(text) for secret in present):
            text = replace_forms(decode(text))
    return text


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(error: BaseException) -> str:
    """A short, human reason for a low-level error (no traceback, no class paths)."""
    if _caused_by_timeout(error):
        return _("no answer in time")
    if isinstance(error, ConnectionRefusedError):
        return _("connection refused")
    if isinstance(error, socket.gaierror):
        return _("unknown host")
    text = str(error).strip() or type(error).__name__
    return _one_line(text, 160)


def _http_reason(error: Exception) -> str:
    import httpx

    if isinstance(error, httpx.TimeoutException):
        return _("no answer in time")
    return _reason(error)


def _caused_by_timeout(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (TimeoutError, socket.timeout)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _config_int(config: dict[str, Any], key: str, default: int, what: str) -> int:
    value = config.get(key)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RetentionError(
            _("The {what} setup's {key} must be a number, not '{value}'.").format(
                what=what, key=key, value=value
            )
        ) from None


def _config_timeout(config: dict[str, Any], what: str) -> float:
    value = config.get("timeout")
    if value in (None, ""):
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds <= 0:
        raise RetentionError(
            _("The {what} setup's timeout must be a number of seconds, not '{value}'.").format(
                what=what, value=value
            )
        )
    return seconds


def _config_flag(config: dict[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "no", "0", "off", "")
    return bool(value)


# --- email ----------------------------------------------------------------------------------

SECURITY = ("starttls", "tls", "none")
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class _Dropped(Exception):
    """The server went away before anything of the message was sent (safe to reconnect)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Prepared:
    recipient: str
    envelope_to: str
    payload: bytes
    needs_smtputf8: bool
    message_id: str


class EmailChannel:
    """Email over SMTP: one connection, kept open across :meth:`send` calls.

    ``config``: host, port (default by security: 587, 465, 25), security ("starttls", "tls" or
    "none"), username (log in only when set), sender (the From address, a display name
    allowed), reply_to, timeout (seconds, default 20), verify (check the server's certificate,
    default True). Not thread-safe: use one channel per sending thread.
    """

    name = "email"

    def __init__(self, config: dict[str, Any], password: str | None) -> None:
        self.host = str(config.get("host") or "").strip()
        if not self.host:
            raise RetentionError(
                _("The email setup has no mail server: retention-tui messages setup email …")
            )
        self.security = str(config.get("security") or "starttls").strip().lower()
        if self.security not in SECURITY:
            raise RetentionError(
                _("The email setup's security must be starttls, tls or none, not '{value}'.")
                .format(value=self.security)
            )  # fmt: skip
        self.port = _config_int(config, "port", _DEFAULT_PORTS[self.security], _("email"))
        self.timeout = _config_timeout(config, _("email"))
        self.verify = _config_flag(config, "verify", True)
        self.username = str(config.get("username") or "").strip() or None
        if self.username and not password:
            raise RetentionError(
                _("The SMTP password is not set: run `retention-tui secrets set smtp`.")
            )
        self._password = password if self.username else None
        self.sender = str(config.get("sender") or "").strip()
        self.sender_address = email.utils.parseaddr(self.sender)[1]
        if not is_email(self.sender_address):
            raise RetentionError(
                _("The email setup's sender '{sender}' is not an email address.").format(
                    sender=self.sender
                )
            )
        self.domain = self.sender_address.rsplit("@", 1)[1]
        self.reply_to = str(config.get("reply_to") or "").strip() or None
        self.server = f"{self.host}:{self.port}"
        self._smtp: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return f"<EmailChannel {self.security} {self.server} user={self.username!r}>"

    def __enter__(self) -> EmailChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # The public part ---------------------------------------------------------------------

    def send(self, message: Outgoing) -> str:
        """Send one email; return its Message-ID or raise :class:`SendError`."""
        prepared = self._prepare(message)
        reused = self._smtp is not None
        try:
            return self._send_once(prepared)
        except _Dropped as dropped:
            self._drop()
            if not reused:
                raise self._error("transient", self._lost_before(dropped.reason)) from None
        # The server closed the idle connection; nothing of this message was sent yet.
        try:
            return self._send_once(prepared)
        except _Dropped as dropped:
            raise self._error("transient", self._lost_before(dropped.reason)) from None

    def close(self) -> None:
        """Say QUIT and close the connection (quietly if it is already gone)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    # Building the message ------------------------------------------------------------------

    def _prepare(self, message: Outgoing) -> _Prepared:
        recipient = message.recipient.strip()
        if not is_email(recipient):
            raise SendError(
                "permanent",
                _("'{recipient}' is not an email address.").format(recipient=recipient),
            )
        local, domain = recipient.rsplit("@", 1)
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise SendError(
                "permanent",
                _("'{recipient}' is not an email address.").format(recipient=recipient),
            ) from None
        needs_smtputf8 = not local.isascii() or not self.sender_address.isascii()
        message_id = message.message_id or make_message_id(message.key, self.domain)
        if not message_id.startswith("<"):
            message_id = f"<{message_id}>"
        policy = email.policy.SMTPUTF8 if needs_smtputf8 else email.policy.SMTP
        mail = EmailMessage(policy=policy)
        mail["From"] = self.sender
        envelope_to = f"{local}@{ascii_domain}"
        # Without SMTPUTF8 the header carries the ASCII (IDNA) form of an accented domain.
        mail["To"] = recipient if needs_smtputf8 else envelope_to
        if self.reply_to:
            mail["Reply-To"] = self.reply_to
        mail["Subject"] = " ".join((message.subject or "").split())
        mail["Date"] = email.utils.formatdate(localtime=True)
        mail["Message-ID"] = message_id
        mail.set_content(message.body, charset="utf-8")
        payload = mail.as_bytes(policy=policy)
        # What smtplib.SMTP.data() does: a line starting with "." gets a second one (RFC 5321).
        payload = re.sub(rb"(?m)^\.", b"..", payload)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        return _Prepared(
            recipient=recipient,
            envelope_to=envelope_to,
            payload=payload + b".\r\n",
            needs_smtputf8=needs_smtputf8,
            message_id=message_id,
        )

    # Talking to the server -----------------------------------------------------------------

    def _error(self, kind: str, text: str, *, channel_wide: bool = False) -> SendError:
        return SendError(kind, _scrub(text, self._password), channel_wide=channel_wide)

    def _lost_before(self, reason: str) -> str:
        return _("The connection to the mail server {server} was lost before the message was "
                 "handed over: {reason}.").format(server=self.server, reason=reason)  # fmt: skip

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        """Open, secure and log in; every failure becomes a SendError (nothing was sent)."""
        smtp: smtplib.SMTP | None = None
        stage = "connect"
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._tls_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.security == "starttls":
                stage = "starttls"
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if self.username:
                stage = "login"
                self._login(smtp)
        except smtplib.SMTPAuthenticationError:
            self._quietly_close(smtp)
            raise self._error(
                "permanent",
                _("The mail server {server} refused the login for {username}: check the "
                  "password with `retention-tui secrets set smtp`.").format(
                    server=self.server, username=self.username),
                channel_wide=True,
            ) from None  # fmt: skip
        except smtplib.SMTPNotSupportedError:
            self._quietly_close(smtp)
            if stage == "starttls":
                text = _(
                    "The mail server {server} does not offer STARTTLS: set security to "
                    "tls or none in the email setup if that is right for this server."
                )
            else:
                text = _(
                    "The mail server {server} does not offer a login: remove the "
                    "username from the email setup, or check the server and port."
                )
            raise self._error(
                "permanent", text.format(server=self.server), channel_wide=True
            ) from None
        except ssl.SSLCertVerificationError as error:
            self._quietly_close(smtp)
            raise self._error(
                "permanent",
                _("The certificate of the mail server {server} could not be verified "
                  "({reason}): fix the certificate, or set verify to false in the email setup "
                  "for a server you trust.").format(
                    server=self.server, reason=error.verify_message or _reason(error)),
                channel_wide=True,
            ) from None  # fmt: skip
        except smtplib.SMTPResponseException as error:
            self._quietly_close(smtp)
            kind = "transient" if error.smtp_code < 500 else "permanent"
            raise self._error(
                kind,
                _("The mail server {server} refused the connection: {reply}.").format(
                    server=self.server, reply=_reply_text(error.smtp_code, error.smtp_error)
                ),
                channel_wide=kind == "permanent",
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            # Connection refused, unknown host, timeout, TLS handshake, server hung up.
            self._quietly_close(smtp)
            raise self._error(
                "transient",
                _("The mail server {server} could not be reached: {reason}.").format(
                    server=self.server, reason=_reason(error)
                ),
            ) from None
        return smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        """Log in; credentials with accents go as UTF-8 (smtplib can only send ASCII ones)."""
        user, password = self.username or "", self._password or ""
        if user.isascii() and password.isascii():
            smtp.login(user, password)
            return
        if not smtp.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        mechanisms = smtp.esmtp_features["auth"].upper().split()

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        if "PLAIN" in mechanisms:  # RFC 4616: UTF-8
            code, reply = smtp.docmd("AUTH", "PLAIN " + b64(f"\0{user}\0{password}".encode()))
        elif "LOGIN" in mechanisms:
            code, reply = smtp.docmd("AUTH", "LOGIN " + b64(user.encode()))
            if code == 334:
                code, reply = smtp.docmd(b64(password.encode()))
        else:
            raise smtplib.SMTPAuthenticationError(
                504, b"no login method for a password with accents (PLAIN or LOGIN) offered"
            )
        if code not in (235, 503):  # 503: already logged in
            raise smtplib.SMTPAuthenticationError(code, reply)

    @staticmethod
    def _quietly_close(smtp: smtplib.SMTP | None) -> None:
        if smtp is not None:
            smtp.close()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        self._quietly_close(smtp)

    def _send_once(self, prepared: _Prepared) -> str:
        """One try on the current (or a new) connection.

        Raises _Dropped when the server went away before the message's content was sent,
        SendError for everything else.
        """
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        body_started = False
        try:
            options: list[str] = []
            if prepared.needs_smtputf8:
                if not smtp.has_extn("smtputf8"):
                    raise self._error(
                        "permanent",
                        _("The mail server {server} cannot send to or from an address with "
                          "accented letters before the @ ({recipient}).").format(
                            server=self.server, recipient=prepared.recipient),
                    )  # fmt: skip
                options = ["SMTPUTF8", "BODY=8BITMIME"]
            code, reply = smtp.mail(self.sender_address, options)
            if code == 421:
                raise _Dropped(_reply_text(code, reply))
            if code != 250:
                self._refused(smtp, code, reply, prepared)
            code, reply = smtp.rcpt(prepared.envelope_to)
            if code == 421:
                raise _Dropped(_reply_text(code, reply))
            if code not in (250, 251):
                self._refused(smtp, code, reply, prepared)
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code == 421:
                raise _Dropped(_reply_text(code, reply))
            if code != 354:
                self._refused(smtp, code, reply, prepared)
            body_started = True
            smtp.send(prepared.payload)
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            if body_started:
                raise self._error(
                    "unknown",
                    _("The connection to the mail server {server} broke after the message was "
                      "handed over, so it may or may not have been sent: {reason}.").format(
                        server=self.server, reason=_reason(error)),
                ) from None  # fmt: skip
            if _caused_by_timeout(error):
                raise self._error(
                    "transient",
                    _("The mail server {server} did not answer in time.").format(
                        server=self.server
                    ),
                ) from None
            raise _Dropped(_reason(error)) from None
        except smtplib.SMTPException as error:
            self._drop()
            raise self._error(
                "transient",
                _("The mail server {server} did not behave as expected: {reason}.").format(
                    server=self.server, reason=_reason(error)
                ),
            ) from None
        if code != 250:
            # The server answered after the content: it has explicitly not taken the message.
            if code == 421:
                self._drop()
            raise self._rejection(code, reply, prepared)
        return prepared.message_id

    def _refused(self, smtp: smtplib.SMTP, code: int, reply: bytes, prepared: _Prepared) -> None:
        """The server refused before the content; reset so the connection stays usable."""
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        raise self._rejection(code, reply, prepared)

    def _rejection(self, code: int, reply: bytes, prepared: _Prepared) -> SendError:
        text = _reply_text(code, reply)
        if 400 <= code < 500:
            return self._error(
                "transient",
                _("The mail server asked to try the message to {recipient} again later: "
                  "{reply}.").format(recipient=prepared.recipient, reply=text),
            )  # fmt: skip
        return self._error(
            "permanent",
            _("The mail server refused the message to {recipient}: {reply}.").format(
                recipient=prepared.recipient, reply=text
            ),
        )


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return _one_line(f"{code} {text}".strip().rstrip("."), 200)


# --- SMS ------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(to_digits|to|text|ref|sender)(_json)?\}")
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_DEFAULT_BODIES = {
    JSON: '{"to": {to_json}, "text": {text_json}, "reference": {ref_json}, "from": {sender_json}}',
    FORM: "to={to}&text={text}&ref={ref}&from={sender}",
}


def _fill(template: str, values: dict[str, str], mode: str) -> str:
    """Put ``values`` into ``template``'s ``{name}`` / ``{name_json}`` placeholders.

    ``{name_json}`` becomes a JSON string literal. ``{name}`` is percent-encoded in a URL
    ("url") or form body ("form"), JSON-escaped without the quotes in a JSON body ("json"),
    and inserted as it is otherwise. Other braces are left alone (JSON templates have many).
    """

    def replace(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if match.group(2):
            return json.dumps(value, ensure_ascii=False)
        if mode == "url":
            return quote(value, safe="")
        if mode == "form":
            return quote_plus(value, safe="")
        if mode == "json":
            return json.dumps(value, ensure_ascii=False)[1:-1]
        return value

    return _PLACEHOLDER.sub(replace, template)


def _field(data: Any, path: str) -> Any:
    """``data["messages"][0]["id"]`` for the path ``messages.0.id``; None when absent."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


AUTH_MODES = ("bearer", "basic", "none")


class SmsChannel:
    """SMS through an HTTP gateway, over one reused ``httpx.Client``.

    ``config``: url (with optional {to} {to_digits} {text} {ref} {sender} placeholders),
    method ("POST" or "GET"), body (a template; see :func:`_fill`), content_type
    ("application/json" or "application/x-www-form-urlencoded"), auth ("bearer", "basic",
    "header:NAME", "query:NAME" or "none"), username (for basic), sender, timeout (seconds,
    default 20), id_field (where the gateway's message id is in its JSON answer, e.g.
    "messages.0.id"). ``{to}`` is "+31612345678"; ``{to_digits}`` the same without the "+".
    """

    name = "sms"

    def __init__(self, config: dict[str, Any], token: str | None) -> None:
        self.url = str(config.get("url") or "").strip()
        if not self.url:
            raise RetentionError(
                _("The SMS setup has no gateway address (url): retention-tui messages setup "
                  "sms …")
            )  # fmt: skip
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RetentionError(
                _("The SMS setup's url must start with https:// (or http://) and name a "
                  "server, not '{url}'.").format(url=self.url)
            )  # fmt: skip
        self.server = parts.netloc.rsplit("@", 1)[-1]
        self.method = str(config.get("method") or "POST").strip().upper()
        if self.method not in ("POST", "GET"):
            raise RetentionError(
                _("The SMS setup's method must be POST or GET, not '{value}'.").format(
                    value=self.method
                )
            )
        self.content_type = str(config.get("content_type") or JSON).strip()
        self.body = config.get("body")
        if self.body is None and self.method == "POST":
            self.body = _DEFAULT_BODIES.get(self.content_type, _DEFAULT_BODIES[JSON])
        self.sender = str(config.get("sender") or "")
        self.timeout = _config_timeout(config, _("SMS"))
        self.id_field = str(config.get("id_field") or "").strip() or None
        auth = str(config.get("auth") or "bearer").strip()
        self.auth_mode, _colon, self.auth_name = auth.partition(":")
        self.auth_mode = self.auth_mode.lower()
        if not (
            (self.auth_mode in AUTH_MODES and not self.auth_name)
            or (self.auth_mode in ("header", "query") and self.auth_name.strip())
        ):
            raise RetentionError(
                _("The SMS setup's auth must be bearer, basic, header:NAME, query:NAME or none, "
                  "not '{value}'.").format(value=auth)
            )  # fmt: skip
        self.auth_name = self.auth_name.strip()
        self.username = str(config.get("username") or "")
        if self.auth_mode == "basic" and not self.username:
            raise RetentionError(_("The SMS setup uses basic auth but has no username."))
        self._token = token if self.auth_mode != "none" else None
        if self.auth_mode != "none" and not token:
            raise RetentionError(
                _("The SMS gateway token is not set: run `retention-tui secrets set sms`.")
            )
        if (
            self._token
            and self.auth_mode in ("bearer", "header")
            and not (self._token.isascii() and self._token.isprintable())
        ):
            raise RetentionError(
                _("The SMS gateway token holds characters an HTTP header cannot carry: set it "
                  "again with `retention-tui secrets set sms`.")
            )  # fmt: skip
        import httpx

        auth_object: httpx.Auth | None = None
        if self.auth_mode == "basic":
            auth_object = httpx.BasicAuth(self.username, self._token or "")
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout), follow_redirects=False, auth=auth_object
        )

    def __repr__(self) -> str:
        return f"<SmsChannel {self.method} {self.server} auth={self.auth_mode}>"

    def __enter__(self) -> SmsChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _error(self, kind: str, text: str, *, channel_wide: bool = False) -> SendError:
        secrets_ = [self._token]
        if self.auth_mode == "basic" and self._token:
            secrets_.append(f"{self.username}:{self._token}")
        return SendError(kind, _scrub(text, *reversed(secrets_)), channel_wide=channel_wide)

    def _request(self, message: Outgoing, number: str) -> httpx.Request:
        values = {
            "to": number,
            "to_digits": number.lstrip("+"),
            "text": message.body,
            "ref": message.key,
            "sender": self.sender,
        }
        headers: dict[str, str] = {"Accept": "application/json, */*;q=0.5"}
        url = _fill(self.url, values, "url")
        if self.auth_mode == "bearer":
            headers["Authorization"] = f"Bearer {self._token}"
        elif self.auth_mode == "header":
            headers[self.auth_name] = self._token or ""
        elif self.auth_mode == "query":
            # Appended as text: httpx's params= would replace the query the setup wrote.
            parts = urlsplit(url)
            pair = f"{quote(self.auth_name, safe='')}={quote(self._token or '', safe='')}"
            url = urlunsplit(parts._replace(query=f"{parts.query}&{pair}" if parts.query else pair))
        content: bytes | None = None
        if self.method == "POST":
            mode = "form" if self.content_type.startswith(FORM) else (
                "json" if "json" in self.content_type else "raw"
            )  # fmt: skip
            content = _fill(self.body or "", values, mode).encode("utf-8")
            headers["Content-Type"] = self.content_type
        return self._client.build_request(self.method, url, headers=headers, content=content)

    def send(self, message: Outgoing) -> str:
        """Send one SMS; return the gateway's id (or the client reference) or raise."""
        import httpx

        number = normalise_phone(message.recipient)
        if number is None:
            raise SendError(
                "permanent",
                _("'{recipient}' is not a phone number.").format(recipient=message.recipient),
            )
        try:
            request = self._request(message, number)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as error:
            raise self._error(
                "permanent",
                _("The SMS gateway address could not be built for this message: {reason}.")
                .format(reason=_reason(error)),
            ) from None  # fmt: skip
        try:
            response = self._client.send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError,
                httpx.WriteTimeout, httpx.WriteError) as error:  # fmt: skip
            # The request never got through whole: the gateway cannot have acted on it.
            raise self._error(
                "transient",
                _("The SMS gateway {server} could not be reached: {reason}.").format(
                    server=self.server, reason=_http_reason(error)
                ),
            ) from None
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as error:
            raise self._error(
                "permanent",
                _("The request for the SMS gateway {server} could not be made: {reason}.")
                .format(server=self.server, reason=_reason(error)),
            ) from None  # fmt: skip
        except httpx.TransportError as error:
            # Read timeout, connection reset, malformed answer: after the request went out.
            raise self._error(
                "unknown",
                _("The SMS gateway {server} did not answer properly after the message was "
                  "handed over, so it may or may not have been sent: {reason}.").format(
                    server=self.server, reason=_http_reason(error)),
            ) from None  # fmt: skip
        return self._outcome(response, message)

    def _outcome(self, response: httpx.Response, message: Outgoing) -> str:
        status = response.status_code
        if 200 <= status < 300:
            if self.id_field:
                try:
                    found = _field(response.json(), self.id_field)
                except (ValueError, UnicodeDecodeError):
                    found = None
                if found not in (None, ""):
                    return str(found)
            return message.key
        detail = _one_line(response.text or response.reason_phrase or "", 200) or str(status)
        if status in (408, 429) or status >= 500:
            raise self._error(
                "transient",
                _("The SMS gateway {server} cannot take the message now ({status}): {detail}.")
                .format(server=self.server, status=status, detail=detail),
            )  # fmt: skip
        if status in (401, 403):
            raise self._error(
                "permanent",
                _("The SMS gateway {server} refused the token ({status}): check it with "
                  "`retention-tui secrets set sms` and the auth in the SMS setup.").format(
                    server=self.server, status=status),
                channel_wide=True,
            )  # fmt: skip
        raise self._error(
            "permanent",
            _("The SMS gateway {server} refused the message ({status}): {detail}.").format(
                server=self.server, status=status, detail=detail
            ),
        )


# --- opening --------------------------------------------------------------------------------


def open_channel(name: str, config: dict[str, Any]) -> Channel:
    """The channel ``name`` ("email" or "sms") set up from ``config`` and the keyring's secret.

    Does not connect: the first :meth:`Channel.send` does, so a server that is down shows up
    as a transient send error, not here. Raises RetentionError for an incomplete setup.
    """
    if name == "email":
        if not str(config.get("host") or "").strip():
            raise RetentionError(
                _("The email setup has no mail server: retention-tui messages setup email …")
            )
        password = secrets.get_secret("smtp") if config.get("username") else None
        return EmailChannel(config, password)
    if name == "sms":
        if not str(config.get("url") or "").strip():
            raise RetentionError(
                _("The SMS setup has no gateway address (url): retention-tui messages setup "
                  "sms …")
            )  # fmt: skip
        auth = str(config.get("auth") or "bearer").strip().lower()
        token = secrets.get_secret("sms") if auth != "none" else None
        return SmsChannel(config, token)
    raise RetentionError(_("'{name}' is not a channel that can send: email or sms.").format(
        name=name))  # fmt: skip
