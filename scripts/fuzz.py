"""Fuzz escalate's readers and config loader for longer than the suite does: random mutations of good exports
(every kind: CSV, JSON, NDJSON, gzip, stdin) and of a good config, each held to `tests/fuzzing.py`'s properties.
An input that breaks one is saved to tests/fuzz_corpus/ (KIND--HASH.bin), which the suite replays.

    python scripts/fuzz.py --minutes 10 [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzzing import (  # noqa: E402
    CONFIG,
    KINDS,
    check_config,
    check_export,
    check_state,
    export_text,
    mutate,
    state_file,
)

CORPUS = ROOT / "tests" / "fuzz_corpus"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    end = time.monotonic() + 60 * args.minutes
    runs = found = 0
    good = {"config": CONFIG.encode(), "state": state_file(), **{kind: export_text(kind) for kind in KINDS}}
    checks = {"config": check_config, "state": check_state}
    while time.monotonic() < end:
        kind = rng.choice(list(good))
        data = mutate(good[kind], rng, rng.randint(1, 8))
        runs += 1
        with tempfile.TemporaryDirectory() as tmp:
            try:
                if kind in checks:
                    checks[kind](Path(tmp), data)
                else:
                    check_export(Path(tmp), kind, data)
            except AssertionError:
                found += 1
                path = CORPUS / f"{kind}--{hashlib.sha256(data).hexdigest()[:12]}.bin"
                path.write_bytes(data)
                print(f"{path.relative_to(ROOT)}: {traceback.format_exc().splitlines()[-1][:300]}", flush=True)
    print(f"{runs} runs, {found} found")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
