"""Where the config is: `-c FILE`, else ./escalate.yaml, else $ESCALATE_CONFIG, else escalate/escalate.yaml in
the XDG config directory ($XDG_CONFIG_HOME, else ~/.config). Light: `--help` and `--version` import it."""

from __future__ import annotations

import os
from pathlib import Path

from escalate_cli.errors import ConfigError

NAME = "escalate.yaml"


def find_config(given: Path | None) -> Path:
    if given is not None:
        return given
    looked = [f"./{NAME}"]
    if Path(NAME).exists():
        return Path(NAME)
    chosen = os.environ.get("ESCALATE_CONFIG")
    if chosen:
        return Path(chosen)  # named by the user: a missing file is an error that names it
    looked.append("$ESCALATE_CONFIG (not set)")
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    candidate = Path(xdg) / "escalate" / NAME
    if candidate.exists():
        return candidate
    looked.append(str(candidate))
    raise ConfigError(
        "config",
        f"no config found (looked for {', '.join(looked)}): pass -c FILE, or write a starter config from your "
        "export with `escalate init EXPORT`",
    )
