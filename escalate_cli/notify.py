"""Delivering announcements: a webhook POST (Slack-compatible `text` plus the structured result), an e-mail over
SMTP (STARTTLS or TLS, login), or a command that reads the JSON on stdin. Retried with backoff."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import tzinfo

from escalate_cli.changes import Announcement
from escalate_cli.channels import Channel, Contact
from escalate_cli.writers import iso


class DeliveryError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the server asked to wait before trying again (Retry-After)


RETRY_AFTER_CAP = 30.0  # the longest a Retry-After is honoured for within one run; longer waits are the next run's


def payload(item: Announcement, as_of: int, tz: tzinfo) -> dict[str, object]:
    clock = item.clock
    return {
        "text": item.message,
        "issue": item.issue,
        "metric": item.metric,
        "policy": item.policy,
        "level": item.level,
        "notify": list(item.notify),
        "state": clock.state.value,
        "due_at": iso(clock.due_at, tz),
        "elapsed_seconds": clock.elapsed,
        "target_seconds": clock.target,
        "remaining_seconds": clock.remaining,
        "as_of": iso(as_of, tz),
        **{key: value for key, value in clock.issue.fields.items() if key not in ("text", "state")},
    }


def channels_for(item: Announcement, contacts: Mapping[str, Contact]) -> list[str]:
    """The channels the step's roles reach for this issue, each once, in order."""
    names: list[str] = []
    for role in item.notify:
        contact = contacts.get(role)
        for name in contact.channels_for(item.clock.issue) if contact else ():
            if name not in names:
                names.append(name)
    return names


def is_quiet(channel: Channel, moment: int) -> bool:
    """Outside its calendar's opening hours a channel holds its messages."""
    return channel.hours is not None and channel.hours.elapsed_ts(moment, moment + 1) == 0


def deliver(
    channel: Channel, body: Mapping[str, object], sleep: Callable[[float], None] = time.sleep
) -> tuple[int, str]:
    """Send with up to `channel.retries` attempts; the number of attempts made and the last error ("" if sent)."""
    if channel.unset:  # the delivery's failure, recorded and retried by a later run with the variables set
        return 0, f"environment variable {', '.join(channel.unset)} is not set"
    error = ""
    for attempt in range(1, channel.retries + 1):
        wait = channel.backoff * 2 ** (attempt - 1)
        try:
            _SENDERS[channel.kind](channel, body)
            return attempt, ""
        except DeliveryError as exc:
            error = str(exc)
            if exc.retry_after is not None:
                if exc.retry_after > RETRY_AFTER_CAP:  # not worth holding the run (and its lock) for
                    return attempt, f"{error}; the server asks to wait {exc.retry_after:g}s"
                wait = exc.retry_after
        except (ValueError, TypeError, KeyError, UnicodeError) as exc:  # the message cannot be built or sent at all
            return attempt, f"cannot build the delivery ({type(exc).__name__}); check the channel's url and headers"
        if attempt < channel.retries:
            sleep(wait)
    return channel.retries, error


def _webhook(channel: Channel, body: Mapping[str, object]) -> None:
    request = urllib.request.Request(
        channel.url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "escalate", **channel.headers},
    )
    opener = urllib.request.build_opener(_NoRedirects())
    try:
        with opener.open(request, timeout=channel.timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:  # not followed: a GET elsewhere would drop the body and could carry the headers
            where = exc.headers.get("Location", "no Location") if exc.headers else "no Location"
            raise DeliveryError(
                f"HTTP {exc.code} {exc.reason}: the webhook redirects (to {_origin(where)}); redirects are not "
                "followed for deliveries, so set the channel's url to where it points"
            ) from exc
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}", _retry_after(exc)) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(str(getattr(exc, "reason", exc))) from exc


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    """A 429 or 503's Retry-After, in seconds: a number of seconds or an HTTP date."""
    if exc.code not in (429, 503) or exc.headers is None:
        return None
    text = str(exc.headers.get("Retry-After") or "").strip()
    if text.isdigit():
        return float(text)
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error for a delivery (urllib would follow 301-303 as a GET without the body, to any host,
    with the channel's headers)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL, nothing of its path, query or credentials."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}" if parts.scheme else "a relative URL"


def _email(channel: Channel, body: Mapping[str, object]) -> None:
    import smtplib
    import ssl
    from email.message import EmailMessage

    message = EmailMessage()
    subject = f"[escalate] {body['level']}: {body['issue']} {body['metric']} {body['state']}"
    message["Subject"] = re.sub(r"[\x00-\x1f\x7f]+", " ", subject)  # a line break in an id would end the header
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    details = "\n".join(f"{key}: {value}" for key, value in body.items() if key != "text")
    message.set_content(f"{body['text']}\n\n{details}\n")
    try:
        smtp_class = smtplib.SMTP_SSL if channel.ssl else smtplib.SMTP
        with smtp_class(channel.host, channel.port, timeout=channel.timeout) as smtp:
            if channel.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                smtp.login(channel.username, channel.password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {channel.host}:{channel.port}: {exc}") from exc


def _command(channel: Channel, body: Mapping[str, object]) -> None:
    """The command reads the message on stdin; its exit status is the delivery's. Its stderr goes to a file, not
    a pipe, so that a background child it leaves holding it does not keep the delivery waiting (#21 point 11)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                list(channel.run), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
            )
        except OSError as exc:
            raise DeliveryError(f"{channel.run[0]}: {exc}") from exc
        try:
            process.communicate(json.dumps(body).encode(), timeout=channel.timeout)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            process.wait()
            raise DeliveryError(f"{channel.run[0]}: {exc}") from exc
        except BrokenPipeError:  # it exited without reading the message: its exit status says how it went
            process.wait()
        if process.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise DeliveryError(f"{channel.run[0]} exited {process.returncode}: {tail[0]}".rstrip(": "))


_SENDERS: dict[str, Callable[[Channel, Mapping[str, object]], None]] = {
    "webhook": _webhook,
    "email": _email,
    "command": _command,
}
