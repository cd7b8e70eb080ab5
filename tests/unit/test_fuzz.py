"""Mutated exports and configs (#21): whatever the bytes, escalate exits 0, 1 or 3, says nothing it cannot
locate, and writes a whole document. The inputs `scripts/fuzz.py` found breaking it are replayed from
`tests/fuzz_corpus/` (named KIND--HASH.bin)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import CONFIG, KINDS, check_config, check_export, check_state, export_text, mutate, state_file

CORPUS = Path(__file__).resolve().parents[1] / "fuzz_corpus"


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32), edits=st.integers(1, 6))
def test_a_mutated_export_never_crashes_and_every_error_is_located(kind, seed, edits):
    data = mutate(export_text(kind), random.Random(seed), edits)
    with tempfile.TemporaryDirectory() as tmp:
        check_export(Path(tmp), kind, data)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), edits=st.integers(1, 4))
def test_a_mutated_config_never_crashes(seed, edits):
    data = mutate(CONFIG.encode(), random.Random(seed), edits)
    with tempfile.TemporaryDirectory() as tmp:
        check_config(Path(tmp), data)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), edits=st.integers(1, 6))
def test_a_damaged_state_file_is_a_clear_error_or_a_run(seed, edits):
    data = mutate(_STATE, random.Random(seed), edits)
    with tempfile.TemporaryDirectory() as tmp:
        check_state(Path(tmp), data)


_STATE = state_file()


@pytest.mark.parametrize("found", sorted(CORPUS.glob("*.bin")), ids=lambda p: p.stem)
def test_what_the_fuzzer_found_stays_fixed(found):
    kind = found.stem.split("--")[0]
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "config":
            check_config(Path(tmp), found.read_bytes())
        elif kind == "state":
            check_state(Path(tmp), found.read_bytes())
        else:
            check_export(Path(tmp), kind, found.read_bytes())
