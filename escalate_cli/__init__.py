"""escalate: an SLA breach monitor for exported issues."""

__version__ = "0.1.0"
