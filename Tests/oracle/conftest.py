"""Shared set-up for the oracle tests: where the kiln binary is, how to run it, and the summary
lines the tests report at the end of the run.

The binary is $KILN, default .build/debug/kiln under the repository root. A missing binary is
an error, never a skip: CI runs these tests and must not pass without them.
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def kiln_path() -> Path:
    path = Path(os.environ.get("KILN", ".build/debug/kiln"))
    return path if path.is_absolute() else REPO_ROOT / path


def pytest_configure(config):
    path = kiln_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise pytest.UsageError(
            f"oracle tests: kiln binary not found or not executable at {path}. "
            "Build it first (swift build) or point KILN at it, e.g. "
            "KILN=$PWD/.build/debug/kiln .venv/bin/python -m pytest Tests/oracle")
    config.stash[SUMMARY_KEY] = {}


SUMMARY_KEY = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def kiln() -> Path:
    """The path of the kiln binary under test."""
    return kiln_path()


def run_kiln_at(binary, *args, timeout=120):
    """Runs `binary args...` and returns (rc, stdout, stderr) as text."""
    proc = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO_ROOT)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="session")
def run_kiln(kiln):
    """run_kiln(*args) -> (rc, stdout, stderr) for the kiln binary under test."""
    def run(*args, timeout=120):
        return run_kiln_at(kiln, *args, timeout=timeout)
    return run


@pytest.fixture(scope="session")
def summary(pytestconfig):
    """A dict of named counters shared by the tests; reported in the terminal summary.

    Tests do summary.setdefault("roundtrip", {}) and count into it; each entry prints as one
    line `NAME: k1 v1, k2 v2, ...` after the run, whatever the -s/-r options.
    """
    return pytestconfig.stash[SUMMARY_KEY]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    sections = config.stash.get(SUMMARY_KEY, {})
    if not sections:
        return
    terminalreporter.section("oracle summary")
    for name, section in sections.items():
        line = section["format"](section) if "format" in section else str(section)
        terminalreporter.write_line(f"{name}: {line}")


@pytest.fixture(scope="session")
def digits_stats(run_kiln, tmp_path_factory):
    """Calibration statistics (`kiln calibrate`, minmax) of the digits CNN on its fixture images."""
    digits = REPO_ROOT / "fixtures" / "digits"
    stats = tmp_path_factory.mktemp("digits-stats") / "stats.json"
    rc, _, stderr = run_kiln("calibrate", digits / "model.onnx", "--images", digits / "calibration",
                             "--preprocess", digits / "preprocess.json", "-q", "-o", stats)
    assert rc == 0, stderr
    return stats
