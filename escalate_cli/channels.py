"""Where announcements go: channels (webhook, email, command) and contacts (roles -> channels). No I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from escalate_cli.business_time import Calendar
from escalate_cli.model import Issue


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str  # webhook | email | command
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    host: str = ""
    port: int = 25
    sender: str = ""
    to: tuple[str, ...] = ()
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password: str = ""
    run: tuple[str, ...] = ()
    timeout: float = 10.0
    retries: int = 3  # attempts in one run, with backoff between them
    backoff: float = 1.0  # seconds before the second attempt; doubles after each
    give_up_after: int = 30  # attempts over every run after which a delivery is given up (dead-lettered)
    hours: Calendar | None = None  # quiet hours: outside this calendar's opening, messages wait
    hours_name: str = ""
    unset: tuple[str, ...] = ()  # ${VAR}s not set when the config was read: it cannot deliver until they are

    def describe(self) -> str:
        if self.unset:
            return f"{self.name} ({self.kind}; not checked: {', '.join(self.unset)} not set)"
        target = {"webhook": self.url, "email": ", ".join(self.to), "command": " ".join(self.run)}[self.kind]
        if self.kind == "webhook":  # the origin only: a path, query or user:password@ may hold a secret
            from urllib.parse import urlsplit

            parts = urlsplit(target)
            port = f":{parts.port}" if parts.port else ""
            target = f"{parts.scheme}://{parts.hostname or '?'}{port}/..."
        return f"{self.name} ({self.kind} {target})"


@dataclass(frozen=True)
class Contact:
    """A role: fixed channels, or channels chosen by a field of the issue (`by`), with a default."""

    role: str
    channels: tuple[str, ...] = ()
    by: str | None = None
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # field value (lower case) -> channels

    def channels_for(self, issue: Issue) -> tuple[str, ...]:
        if self.by is None:
            return self.channels
        value = issue.fields.get(self.by)
        if value is None:
            raw = issue.record.get(self.by)
            value = str(raw) if raw is not None else ""
        return self.routes.get(value.strip().lower(), self.channels)
