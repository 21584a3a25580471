"""Shared fixtures' helpers for the harness and report tests: a fake lean-build.json and one
small harness run (reduced budget) reused by several tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from laaciq.verify import leanscan

ROOT = Path(__file__).resolve().parent.parent


def fake_build(path: Path, status: str = "compiled", stale: tuple = (), failed: tuple = ()
               ) -> Path:
    """A lean-build.json saying every module compiled from the current sources."""
    mods = []
    for p in leanscan.lean_sources(ROOT):
        rel = p.relative_to(ROOT).as_posix()
        mod = rel[:-5].replace("/", ".")
        sha = hashlib.sha256(p.read_text(encoding="utf-8").encode()).hexdigest()
        mods.append({"module": mod, "file": rel,
                     "status": "failed" if mod in failed else status,
                     "source_sha256": "0" * 64 if mod in stale else sha, "key": "",
                     "seconds": 1.0, "cached": True, "messages": [], "forbidden": []})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"checker": "fake (tests)", "toolchain": "fake Lean 0",
                                "modules": mods, "ok": status == "compiled"}), encoding="utf-8")
    return path


def strip_times(doc):
    """The status document without its time fields (``generated`` and every ``seconds``)."""
    if isinstance(doc, dict):
        return {k: strip_times(v) for k, v in doc.items() if k not in ("generated", "seconds")}
    if isinstance(doc, list):
        return [strip_times(x) for x in doc]
    return doc
