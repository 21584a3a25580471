"""Stock vs fast registry-Lean launcher, measured side by side (``make bench-lean``).

``python -m laaciq.verify.leanbench [--repeats N] [--modules M ...] [--out FILE]``

For each library module (in import order) and each launcher — the package's own ``lean.js``
(stock) and the derived ``lean-fast.js`` (fast, see
:func:`laaciq.verify.leantool.derive_launcher`) — one cold Lean run compiles the module,
alternating stock and fast, ``repeats`` times each, one run at a time. The module's imports are compiled once beforehand and shared by both
launchers, so each run times exactly one module. Per run: wall seconds and the Node process's
peak resident memory (``ru_maxrss`` from ``os.wait4``); per module: the verdict of each launcher
(status, error lines), which must agree. Prints a table and writes ``report/lean-bench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from laaciq.io import atomic_write_text, project_root
from laaciq.verify import lean, leanscan, leantool


def _timed_run(argv: list[str], cwd: Path, env: dict) -> tuple[float, float, int, str]:
    """Run ``argv``; return (seconds, peak RSS in MB, exit code, output)."""
    out = tempfile.TemporaryFile()
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read().decode("utf-8", "replace")
    return seconds, usage.ru_maxrss / 1024.0, proc.returncode, text


def _verdict(module: str, rc: int, output: str, text: str) -> dict:
    msgs = lean.parse_messages(output)
    _, tokens = leanscan.scan_source(text, lean._module_file(module))
    reasons = lean._failure_reasons(msgs, tokens, rc)
    return {"status": "compiled" if rc == 0 and not reasons else "failed", "reasons": reasons}


def bench(root: Path, repeats: int, modules: list[str] | None, log=print) -> dict:
    files = leanscan.lean_sources(root)
    graph = lean.module_graph(root, files)
    order = lean._toposort(graph)
    chosen = [m for m in order if modules is None or m in modules]
    fast = leantool.find_checker(fetch=True)
    stock = leantool.find_checker(fetch=False, stock=True)
    work = Path(tempfile.mkdtemp(prefix="lean-bench-", dir=leantool.cache_dir()))
    src, deps_out = work / "src", work / "deps"
    for m in order:
        dst = src / lean._module_file(m)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text((root / lean._module_file(m)).read_text(encoding="utf-8"), encoding="utf-8")
    # the imports of the chosen modules, compiled once with the (cached) fast path
    needed: set[str] = set()

    def close(m: str) -> None:
        for d in graph[m]:
            if d not in needed:
                needed.add(d)
                close(d)

    for m in chosen:
        close(m)
    if needed:
        log(f"lean-bench: compiling {len(needed)} imported module(s) once (cached when unchanged)")
        results = lean.Builder(root, fast).run([root / lean._module_file(m) for m in order
                                                if m in needed])
        bad = [r.module for r in results if not r.ok]
        if bad:
            raise SystemExit(f"lean-bench: imports do not compile: {', '.join(bad)}")
        for r in results:
            lean.Builder(root, fast)._restore(r.key, r.module, deps_out)
    # start-up alone: `--version` (no file read) and a module importing only Init
    startup = []
    empty = src / "BenchEmpty.lean"
    empty.write_text("module\n\npublic import Init\n\ntheorem benchOne : 1 + 1 = 2 := rfl\n")
    for label, argv_tail in (("--version", ["--version"]),
                             ("empty module (imports Init)", ["BenchEmpty.lean", "-o",
                                                              str(work / "BenchEmpty.olean")])):
        row = {"phase": label}
        for mode, checker in (("stock", stock), ("fast", fast)):
            secs, mbs = [], []
            for _ in range(repeats):
                env = dict(os.environ, LEAN_PATH=str(checker.lib))
                sec, mb, _, _ = _timed_run([str(checker.node), str(checker.lean_js), *argv_tail],
                                           src, env)
                secs.append(round(sec, 2))
                mbs.append(round(mb))
            row[f"{mode}_seconds"] = round(statistics.mean(secs), 2)
            row[f"{mode}_peak_mb"] = max(mbs)
            log(f"lean-bench: {label} {mode}: {secs} s, {max(mbs)} MB")
        startup.append(row)
    rows = []
    for m in chosen:
        text = (src / lean._module_file(m)).read_text(encoding="utf-8")
        runs: dict[str, list[dict]] = {"stock": [], "fast": []}
        verdicts: dict[str, dict] = {}
        for rep in range(repeats):
            for mode, checker in (("stock", stock), ("fast", fast)):
                out_dir = work / f"out-{mode}-{rep}"
                olean = out_dir / (lean._module_file(m)[:-5] + ".olean")
                olean.parent.mkdir(parents=True, exist_ok=True)
                env = dict(os.environ, LEAN_PATH=f"{checker.lib}:{deps_out}")
                sec, mb, rc, output = _timed_run(
                    [str(checker.node), str(checker.lean_js), lean._module_file(m), "-o",
                     str(olean)], src, env)
                v = _verdict(m, rc, output, text)
                verdicts.setdefault(mode, v)
                if v != verdicts[mode]:
                    verdicts[mode] = {"status": "unstable", "reasons": v["reasons"]}
                runs[mode].append({"seconds": round(sec, 2), "peak_mb": round(mb)})
                log(f"lean-bench: {m} {mode} run {rep + 1}/{repeats}: {sec:.1f} s, "
                    f"{mb:.0f} MB, {v['status']}")
        row = {"module": m, "runs": runs, "verdicts": verdicts,
               "same_verdict": verdicts["stock"] == verdicts["fast"]}
        for mode in ("stock", "fast"):
            secs = [r["seconds"] for r in runs[mode]]
            row[f"{mode}_seconds"] = round(statistics.mean(secs), 2)
            row[f"{mode}_seconds_sd"] = round(statistics.stdev(secs), 2) if len(secs) > 1 else None
            row[f"{mode}_peak_mb"] = max(r["peak_mb"] for r in runs[mode])
        row["ratio"] = round(row["fast_seconds"] / row["stock_seconds"], 3)
        rows.append(row)
    total = {mode: round(sum(r[f"{mode}_seconds"] for r in rows), 1) for mode in ("stock", "fast")}
    return {
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "toolchain": fast.toolchain,
        "launchers": {"stock": {"file": stock.lean_js.name,
                                "sha256": stock.launcher_sha256.split(":", 1)[1]},
                      "fast": {"file": fast.lean_js.name,
                               "sha256": fast.launcher_sha256.split(":", 1)[1]}},
        "repeats": repeats,
        "startup": startup,
        "modules": rows,
        "total_seconds_one_at_a_time": total,
        "all_same_verdict": all(r["same_verdict"] for r in rows),
    }


def table(doc: dict) -> str:
    lines = ["| start-up | stock s | fast s | fast/stock | stock peak MB | fast peak MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in doc.get("startup", []):
        lines.append(f"| {r['phase']} | {r['stock_seconds']:.1f} | {r['fast_seconds']:.1f} | "
                     f"{r['fast_seconds'] / r['stock_seconds']:.2f} | {r['stock_peak_mb']} | "
                     f"{r['fast_peak_mb']} |")
    lines += ["", f"| module | stock s | fast s | fast/stock | stock peak MB | fast peak MB | "
             f"same verdict |", "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]

    def sec(r, mode):
        sd = r[f"{mode}_seconds_sd"]
        return f"{r[f'{mode}_seconds']:.1f}" + (f" ± {sd:.1f}" if sd is not None else "")

    for r in doc["modules"]:
        lines.append(f"| {r['module']} | {sec(r, 'stock')} | {sec(r, 'fast')} | "
                     f"{r['ratio']:.2f} | {r['stock_peak_mb']} | {r['fast_peak_mb']} | "
                     f"{'yes' if r['same_verdict'] else 'NO'} |")
    t = doc["total_seconds_one_at_a_time"]
    lines.append(f"| all, one at a time | {t['stock']:.0f} | {t['fast']:.0f} | "
                 f"{t['fast'] / t['stock']:.2f} | | | "
                 f"{'yes' if doc['all_same_verdict'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m laaciq.verify.leanbench",
                                description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=2, help="runs per module and launcher")
    p.add_argument("--modules", nargs="*", help="modules to time (default: all)")
    p.add_argument("--out", help="JSON output (default: report/lean-bench.json)")
    args = p.parse_args(argv)
    if args.repeats < 1:
        print("laaciq: error: --repeats must be at least 1", file=sys.stderr)
        return 2
    root = project_root()
    doc = bench(root, args.repeats, args.modules,
                log=lambda s: print(s, file=sys.stderr, flush=True))
    out = Path(args.out) if args.out else root / "report" / "lean-bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(doc, indent=1) + "\n")
    print(table(doc))
    return 0 if doc["all_same_verdict"] else 1


if __name__ == "__main__":
    sys.exit(main())
