"""The repository agrees with itself: CI runs the README's test command, the Makefile has the
targets the README names, and `make test` is what the README says it is."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text()
README = (ROOT / "README.md").read_text()


def _targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", MAKEFILE, re.M))


def test_ci_runs_make_test():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_readme_commands_are_make_targets():
    named = set(re.findall(r"`make ([a-z][\w-]*)`", README)) | set(
        re.findall(r"^make ([a-z][\w-]*)", README, re.M))
    assert {"validate", "test", "lean"} <= named
    assert named <= _targets(), named - _targets()


def test_make_test_is_pytest_with_ci_profile_then_lean():
    assert re.search(r"^test: test-python lean$", MAKEFILE, re.M)
    recipe = re.search(r"^test-python:.*\n\t(.+)$", MAKEFILE, re.M).group(1)
    assert recipe == "HYPOTHESIS_PROFILE=ci $(PY) -m pytest -q"
    assert "HYPOTHESIS_PROFILE=ci .venv/bin/python -m pytest -q" in README


def test_report_is_generated_not_tracked():
    assert re.search(r"^/report/$", (ROOT / ".gitignore").read_text(), re.M)
