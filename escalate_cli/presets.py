"""Source presets: how each tool's exports name their fields, write their statuses and encode their values.

A field lists candidate columns, the first one the export has wins, so one preset reads every export a tool makes
(gh's `createdAt` and the REST API's `created_at`; Jira's English and Spanish headers). `fields:` in the config
overrides a preset field by field; `statuses:` replaces its status words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_SERVICENOW_PRIORITY = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low", "5": "5 - Planning"}
_SERVICENOW_STATE = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}


@dataclass(frozen=True)
class Conversation:
    """Messages an export packs into its issue rows (Jira's comment cells `date;account;text`, oldest first):
    each becomes a message row of `author_role` customer where its account is the issue's requester's, else
    agent (read only where some clock starts or stops at messages)."""

    cells: tuple[str, ...]  # the packed columns, the first one the export has
    requester: tuple[str, ...]  # the column of the requester's account
    separator: str = ";"


@dataclass(frozen=True)
class Audit:
    """Records of an export that are the ticket's audits (Zendesk's `/api/v2/tickets/{id}/audits`): each
    with a list of events; one with a public comment among them is a message, the customer's where its author is
    the ticket's requester, else an agent's (read only where some clock starts or stops at messages)."""

    kind: str  # the events' types
    comment: str  # the type of a comment event (lower case)
    public: str  # the events' public flags
    author: str  # the audit's author
    requester: str  # the ticket's requester, on the ticket rows


@dataclass(frozen=True)
class Figure:
    """A figure the tool's own SLA engine exports for an issue, shown beside escalate's clock (`explain`)."""

    name: str
    column: str
    unit: str  # "minutes" (calendar) or "business minutes" (on the tool's own schedule)


@dataclass(frozen=True)
class Preset:
    name: str
    fields: Mapping[str, tuple[str, ...]]
    closed: tuple[str, ...] = ()
    paused: tuple[str, ...] = ()
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # field -> raw code -> display value
    skip_key: str | None = None  # records that have this key are not issues (GitHub's pull requests)
    packed: Mapping[str, str] = field(default_factory=dict)  # field -> separator: its value is the part before it
    record_key: str | None = None  # the column naming the record itself (ServiceNow's sys_id): copies share it
    conversation: Conversation | None = None
    audit: Audit | None = None
    figures: tuple[Figure, ...] = ()
    id_after: str | None = None  # the id is the part after the last one of these (GitHub's comment `issue_url`)
    message_at: str = "updated"  # which instant of a message row is when it was written


def _preset(name: str, fields: dict[str, tuple[str, ...]], **rest: object) -> Preset:
    return Preset(name, MappingProxyType(fields), **rest)  # type: ignore[arg-type]


PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        "generic": _preset(
            "generic",
            {},
            closed=("closed", "done", "resolved", "solved", "cancelled", "canceled"),
        ),
        "jira": _preset(
            "jira",
            {
                "id": ("Issue key", "Clave de incidencia", "Clave"),
                "created": ("Created", "Creada"),
                "updated": ("Updated", "Actualizada"),
                "resolved": ("Resolved", "Resuelta"),
                "status": ("Status", "Estado"),
                "priority": ("Priority", "Prioridad"),
                "labels": ("Labels", "Etiquetas"),
                "title": ("Summary", "Resumen"),
                # the first comment's date: Jira packs each comment as `date;account;text`, oldest first
                "first_response": ("Comment", "Comentario"),
            },
            packed={"first_response": ";"},
            conversation=Conversation(("Comment", "Comentario"), ("Reporter Id", "Id. del informador")),
            closed=(
                "done",
                "closed",
                "resolved",
                "cancelled",
                "canceled",
                "won't do",
                "completado",
                "cerrada",
                "resuelta",
                "listo",
                "hecho",
                "cancelado",
            ),
            paused=("waiting for customer", "pending", "esperando al cliente", "pendiente"),
        ),
        "jira-json": _preset(
            "jira-json",
            {
                "id": ("key",),
                "created": ("fields.created",),
                "updated": ("fields.updated",),
                "resolved": ("fields.resolutiondate",),
                "status": ("fields.status.name",),
                "priority": ("fields.priority.name",),
                "labels": ("fields.labels",),
                "title": ("fields.summary",),
            },
            closed=("done", "closed", "resolved", "cancelled", "canceled", "won't do"),
            paused=("waiting for customer", "pending"),
        ),
        "github": _preset(
            "github",
            {
                "id": ("number", "issue_url"),  # a REST issue comment names its issue by URL
                "created": ("createdAt", "created_at"),
                "updated": ("updatedAt", "updated_at"),
                "resolved": ("closedAt", "closed_at"),
                "status": ("state",),
                "labels": ("labels.name", "labels"),
                "title": ("title",),
            },
            closed=("closed", "merged"),
            skip_key="pull_request",
            id_after="/",
            message_at="created",
        ),
        "gitlab": _preset(
            "gitlab",
            {
                "id": ("iid", "id"),
                "created": ("created_at",),
                "updated": ("updated_at",),
                "resolved": ("closed_at",),
                "status": ("state",),
                "labels": ("labels",),
                "title": ("title",),
            },
            closed=("closed", "merged"),
        ),
        "zendesk": _preset(
            "zendesk",
            {
                "id": ("ticket_id", "id", "Id", "Ticket ID"),  # an audit names its ticket by ticket_id
                "created": ("created_at", "Created at"),
                "updated": ("updated_at", "Updated at"),
                "resolved": ("solved_at", "Solved at"),
                "status": ("status", "Status"),
                "priority": ("priority", "Priority"),
                "labels": ("tags", "Tags"),
                "title": ("subject", "Subject"),
            },
            closed=("solved", "closed"),
            paused=("pending", "hold", "on-hold", "on hold"),
            audit=Audit("events.type", "comment", "events.public", "author_id", "requester_id"),
            figures=(  # the CSV export's metrics: the first reply has no instant of its own
                Figure("first reply", "First reply time in minutes within business hours", "business minutes"),
                Figure("first resolution", "First resolution time in minutes", "minutes"),
                Figure("full resolution", "Full resolution time in minutes within business hours", "business minutes"),
            ),
        ),
        "servicenow": _preset(
            "servicenow",
            {
                "id": ("number",),
                "created": ("opened_at", "sys_created_on"),
                "updated": ("sys_updated_at", "sys_updated_on"),
                "resolved": ("resolved_at",),
                "status": ("incident_state", "state"),
                "priority": ("priority",),
                "title": ("short_description",),
            },
            closed=("resolved", "closed", "canceled", "cancelled"),
            paused=("awaiting user info", "awaiting vendor", "awaiting problem", "awaiting evidence", "on hold"),
            codes={"priority": _SERVICENOW_PRIORITY, "status": _SERVICENOW_STATE},
            record_key="sys_id",
        ),
    }
)

FIGURES = tuple(figure for preset in PRESETS.values() for figure in preset.figures)
"""Every tool's own figures: an issue shows those its export has."""
