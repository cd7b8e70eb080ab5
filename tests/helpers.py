"""Reading exports in tests the way `escalate check` does: collect, then resolve."""

from __future__ import annotations

from dataclasses import dataclass

from escalate_cli.config import Config, parse_config
from escalate_cli.history import resolve
from escalate_cli.readers import ReadOptions
from escalate_cli.readers.issues import collect
from escalate_cli.sla import policy_name

POLICIES = [{"name": "p", "targets": {"resolution": "4h"}}]
FAR_FUTURE = 2**40


def config(**top) -> Config:
    return parse_config({"policies": POLICIES, **top})


@dataclass
class Read:
    issues: list
    errors: list
    warnings: list

    def by_id(self):
        return {issue.id: issue for issue in self.issues}


def read(paths, cfg=None, as_of=FAR_FUTURE, **options) -> Read:
    cfg = cfg or config()
    opts = ReadOptions(
        encoding=options.get("encoding", cfg.encoding), delimiter=options.get("delimiter"), records=cfg.records
    )
    got = collect([str(p) for p in paths], cfg, opts)
    issues, notes = resolve(got.groups, as_of, cfg.statuses, cfg.history, policy_name(cfg.policies))
    return Read(issues, got.errors, got.warnings + notes)
