"""What a wheel built from a clone holds: the licence, the typing marker, the metadata an index shows (#20)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_its_licence_typing_marker_and_metadata(tmp_path):
    wheel_of = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)]
    built = subprocess.run([*wheel_of, "--no-build-isolation"], capture_output=True, text=True, check=False)
    if built.returncode != 0:  # no build backend in this environment: pip fetches one
        built = subprocess.run(wheel_of, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("escalate_cli-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert any(n.endswith("licenses/LICENSE") for n in names) and "escalate_cli/py.typed" in names
    assert "License-Expression: MIT" in metadata and "Classifier: Typing :: Typed" in metadata
    assert "Keywords: sla," in metadata
