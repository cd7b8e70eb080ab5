"""`escalate schema` against the parser: every config escalate accepts (the example, every test and benchmark
config, the README's, a starter config from `init`) is valid under the schema, and the shape mistakes the parser
refuses are refused by the schema too. The copy in the repository, which `config.example.yaml` points editors
at, is what the command prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

jsonschema = pytest.importorskip("jsonschema")

from escalate_cli.config import load_config, parse_config  # noqa: E402
from escalate_cli.config_schema import render, schema  # noqa: E402
from escalate_cli.errors import ConfigError  # noqa: E402
from tests.cli.test_columnar import CONFIGS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _as_json(data: object) -> object:
    """The YAML as an editor's language server sees it: JSON values (dates are strings there)."""
    return json.loads(json.dumps(data, default=str))


def _validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema())
    return jsonschema.Draft202012Validator(schema())


def _accepted() -> list[tuple[str, object]]:
    configs: list[tuple[str, object]] = []
    files = [
        ROOT / "config.example.yaml",
        *sorted(ROOT.glob("tests/**/*.yaml")),
        *sorted(ROOT.glob("benchmarks/*.yaml")),
    ]
    for path in files:
        try:
            load_config(path)
        except ConfigError:
            continue  # a config made to be wrong
        configs.append((str(path.relative_to(ROOT)), yaml.safe_load(path.read_text(encoding="utf-8"))))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for n, block in enumerate(re.findall(r"```yaml\n(.*?)```", readme, re.S)):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "policies" in data:  # a whole config, not a fragment of one
            parse_config(data)
            configs.append((f"README.md block {n}", data))
    configs += [(f"tests/cli/test_columnar.py {name}", yaml.safe_load(text)) for name, text in CONFIGS.items()]
    return configs


def test_the_repository_copy_is_what_escalate_schema_prints():
    assert (ROOT / "escalate.schema.json").read_text(encoding="utf-8") == render()
    first = (ROOT / "config.example.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=escalate.schema.json"


def test_every_config_escalate_accepts_is_valid_under_the_schema():
    validator = _validator()
    configs = _accepted()
    assert len(configs) >= 15 and any(name.startswith("README") for name, _ in configs)
    for name, data in configs:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(_as_json(data))]
        assert errors == [], name


def test_a_starter_config_from_init_is_valid_under_the_schema(tmp_path):
    from tests.cli.test_check import run

    path = tmp_path / "escalate.yaml"
    made = run(["init", "examples/issues.csv", "-o", str(path), "--timezone", "Europe/Berlin", "--country", "DE"])
    assert made.exit_code == 0, made.output
    load_config(path)
    assert list(_validator().iter_errors(_as_json(yaml.safe_load(path.read_text(encoding="utf-8"))))) == []


BASE = {"policies": [{"name": "p", "targets": {"resolution": "4h"}}]}
REFUSED = [
    pytest.param({**BASE, "polices": []}, id="unknown top key"),
    pytest.param({"policies": [{"name": "p", "targets": {"resolution": "4h"}, "colour": 1}]}, id="unknown policy key"),
    pytest.param({"policies": [{"name": "p", "targets": {"resolution": "four hours"}}]}, id="not a duration"),
    # a target may name any clock of `clocks:` (a schema cannot look the name up): what no clock can be named
    pytest.param({"policies": [{"name": "p", "targets": {"Time to resolve": "4h"}}]}, id="not a clock name"),
    pytest.param({**BASE, "clocks": {"resolution": {"start": {"at": "created"}}}}, id="clock named as a built-in"),
    pytest.param({**BASE, "clocks": {"own": {"stop": {"message": "agent"}}}}, id="clock without start"),
    pytest.param({**BASE, "clocks": {"own": {"start": {"message": "boss"}}}}, id="message role"),
    pytest.param({**BASE, "clocks": {"own": {"start": {"when": {}}}}}, id="empty when"),
    pytest.param({**BASE, "clocks": {"own": {"start": {"at": "created"}, "pause": {"at": "created"}}}}, id="pause at"),
    pytest.param({**BASE, "clocks": {"own": {"start": {"at": "created"}, "cycles": "all"}}}, id="cycles"),
    pytest.param({"policies": [{"name": "p", "targets": {}}]}, id="no target"),
    pytest.param({"policies": [{"targets": {"resolution": "4h"}}]}, id="no name"),
    pytest.param({"policies": [{"name": "p", "targets": {"resolution": "4h"}, "goal": "lots"}]}, id="goal"),
    pytest.param(
        {"policies": [{"name": "p", "targets": {"resolution": "4h"}, "escalate": [{"after": "soon", "level": "L2"}]}]},
        id="step after",
    ),
    pytest.param({**BASE, "calendars": {"office": {"hours": {"weekdays": ["09:00-17:00"]}}}}, id="day key"),
    pytest.param({**BASE, "calendars": {"office": {"hours": {"mon-fri": ["9-5"]}}}}, id="window"),
    pytest.param({**BASE, "calendars": {"office": {"timezone": "UTC"}}}, id="calendar without hours"),
    pytest.param({**BASE, "channels": {"chat": {"type": "pigeon"}}}, id="channel type"),
    pytest.param(
        {**BASE, "channels": {"chat": {"type": "webhook", "url": "https://x", "to": "a@b"}}}, id="channel key"
    ),
    pytest.param({**BASE, "source": "bugzilla"}, id="source"),
    pytest.param({**BASE, "reopen": "forget"}, id="reopen"),
    pytest.param({**BASE, "fields": {"state": "Status"}}, id="field named like a result key"),
]


@pytest.mark.parametrize("data", REFUSED)
def test_shape_mistakes_the_parser_refuses_the_schema_refuses(data):
    with pytest.raises(ConfigError):
        parse_config(data)
    assert list(_validator().iter_errors(data)) != []
