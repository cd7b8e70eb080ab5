"""Exit codes and the errors a user can fix (reported without a traceback)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # running clocks at or above --fail-on
    USAGE = 2  # bad command line; Typer's own code, never reused
    INVALID_INPUT = 3  # config or export cannot be used, or rows could not be evaluated
    INTERNAL = 4  # a bug in escalate
    DELIVERY = 5  # with --fail-on-delivery: a notification could not be delivered this run


MESSAGE_LIMIT = 1000  # characters of one message on stderr: a 100 MB header must not make a 100 MB line


def readable(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The message cut to a readable length, saying how much was cut (`-f json` keeps it whole)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


class EscalateError(Exception):
    """Something the user can fix: printed as one located message, never with a traceback."""

    exit_code = ExitCode.INVALID_INPUT


class UsageError(EscalateError):
    """A command line that cannot be meant (exit 2, as Typer's own usage errors)."""

    exit_code = ExitCode.USAGE


class ConfigError(EscalateError):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class ConfigErrors(ConfigError):
    """Every mistake found in one config, each with its own key path (and YAML line)."""

    def __init__(self, problems: list[ConfigError]) -> None:
        super().__init__(problems[0].where, problems[0].problem)
        self.problems = problems
        self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class InputError(EscalateError):
    """An export that cannot be read at all (as opposed to a bad row, which is reported and skipped)."""
