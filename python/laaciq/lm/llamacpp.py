"""llama.cpp built from a registry package, and its tools run as themselves.

The llama.cpp vendored in PyPI's ``llama-cpp-python`` sdist (``pip download --no-deps
--no-binary :all:``) is unpacked into ``$LAACIQ_CACHE/llama.cpp/src`` and only its tools
``llama-quantize``, ``llama-imatrix`` and ``llama-perplexity`` are built there (cmake + ninja,
portable ``-DGGML_NATIVE=OFF``). ``build.json`` next to them records the vendored commit, the
flags and the build seconds. The unpacked source is kept: ``ggml-quants.c`` and ``imatrix.cpp``
are the reference for the file formats.

    python -m laaciq.lm.llamacpp build      # what `make llama-cpp` runs (never in CI)

Tools are run with ``--no-repack`` (the CPU backend's repacking path crashed on this kind of
machine) and two threads.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from laaciq.errors import LaaciqError
from laaciq.lm.assets import cache_dir

__all__ = ["PACKAGE", "VERSION", "TOOLS", "CMAKE_FLAGS", "build", "tool", "run_tool",
           "build_info", "llama_dir", "parse_ppl_output", "parse_kld_output", "gguf_bits"]

PACKAGE = "llama-cpp-python"
VERSION = "0.3.36"
TOOLS = ("llama-quantize", "llama-imatrix", "llama-perplexity")
CMAKE_FLAGS = ["-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=OFF", "-DLLAMA_CURL=OFF",
               "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
               "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_TOOLS=ON"]


def llama_dir(cache: Path | None = None) -> Path:
    return Path(cache or cache_dir()) / "llama.cpp"


def _sdist(root: Path, log) -> Path:
    dl = root / "dl"
    name = f"{PACKAGE.replace('-', '_')}-{VERSION}.tar.gz"
    if not (dl / name).exists():
        log(f"pip download {PACKAGE}=={VERSION} (sdist, ~77 MB)")
        dl.mkdir(parents=True, exist_ok=True)
        r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                            "--no-binary", ":all:", "-d", str(dl), f"{PACKAGE}=={VERSION}"],
                           capture_output=True, text=True)
        if r.returncode != 0 or not (dl / name).exists():
            raise LaaciqError(f"pip download of {PACKAGE}=={VERSION} failed: "
                              f"{(r.stderr.strip().splitlines() or ['?'])[-1]}")
    return dl / name


def _unpack(sdist: Path, root: Path, log) -> Path:
    """The vendored llama.cpp source tree (``root/src``), unpacked once."""
    src = root / "src"
    if (src / "CMakeLists.txt").exists():
        return src
    log(f"unpacking {sdist.name}")
    tmp = root / ".unpack.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp, filter="data")
    vendored = next(tmp.glob("*/vendor/llama.cpp"))
    shutil.rmtree(src, ignore_errors=True)
    os.replace(vendored, src)
    shutil.rmtree(tmp, ignore_errors=True)
    return src


def _vendored_commit(sdist: Path) -> str:
    """The llama.cpp commit the sdist vendors: its git submodule HEAD, shipped in the sdist."""
    with tarfile.open(sdist) as tf:
        for m in tf.getmembers():
            if m.name.endswith(".git/modules/vendor/llama.cpp/HEAD"):
                head = tf.extractfile(m).read().decode().strip()
                if re.fullmatch(r"[0-9a-f]{40}", head):
                    return head
    return "unknown"


def _ensure_build_tools(log) -> None:
    """cmake, ninja and a C++ compiler from Debian when missing (needs apt-get)."""
    missing = [deb for exe, deb in (("cmake", "cmake"), ("ninja", "ninja-build"),
                                    ("g++", "g++")) if shutil.which(exe) is None]
    if not missing:
        return
    log(f"apt-get install {' '.join(missing)}")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            raise LaaciqError(f"`{' '.join(cmd)}` failed: install {' '.join(missing)}")


def build(cache: Path | None = None, jobs: int = 2, log=print) -> dict:
    """Build the three tools once; returns (and writes) ``build.json``."""
    root = llama_dir(cache)
    info_path = root / "build.json"
    if info_path.exists() and all((root / "bin" / t).exists() for t in TOOLS):
        info = json.loads(info_path.read_text())
        if info.get("llama_cpp_commit", "unknown") == "unknown":
            info["llama_cpp_commit"] = _vendored_commit(_sdist(root, log))
            info_path.write_text(json.dumps(info, indent=1) + "\n")
        return info
    root.mkdir(parents=True, exist_ok=True)
    _ensure_build_tools(log)
    sdist = _sdist(root, log)
    src = _unpack(sdist, root, log)
    bdir = root / "build"
    t0 = time.perf_counter()
    cmds = [["cmake", "-S", str(src), "-B", str(bdir), "-G", "Ninja", *CMAKE_FLAGS],
            ["cmake", "--build", str(bdir), "-j", str(jobs), "--target", *TOOLS]]
    for cmd in cmds:
        log(" ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            (root / "build.log").write_text(r.stdout + r.stderr)
            raise LaaciqError(f"llama.cpp build failed (see {root / 'build.log'})")
    seconds = time.perf_counter() - t0
    bin_dir = root / "bin"
    shutil.rmtree(bin_dir, ignore_errors=True)
    shutil.copytree(bdir / "bin", bin_dir, symlinks=True)
    info = {"package": f"{PACKAGE}=={VERSION}", "llama_cpp_commit": _vendored_commit(sdist),
            "cmake_flags": CMAKE_FLAGS, "jobs": jobs, "build_seconds": round(seconds, 1),
            "tools": list(TOOLS), "source": str(src), "bin": str(bin_dir)}
    info_path.write_text(json.dumps(info, indent=1) + "\n")
    return info


def build_info(cache: Path | None = None) -> dict:
    """``build.json`` of a finished build; a clear error when ``make llama-cpp`` has not run."""
    p = llama_dir(cache) / "build.json"
    if not p.exists():
        raise LaaciqError(f"llama.cpp is not built ({p} missing): run `make llama-cpp`")
    return json.loads(p.read_text())


def tool(name: str, cache: Path | None = None) -> Path:
    exe = llama_dir(cache) / "bin" / name
    if not exe.exists():
        raise LaaciqError(f"{exe} missing: run `make llama-cpp`")
    return exe


def run_tool(name: str, args: list[str], cache: Path | None = None,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run a built tool; its stdout+stderr are returned, a failure raises with the last line."""
    exe = tool(name, cache)
    env = dict(os.environ, LD_LIBRARY_PATH=str(exe.parent))
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                       timeout=timeout)
    if r.returncode != 0:
        tail = (r.stderr.strip().splitlines() or r.stdout.strip().splitlines() or ["?"])[-1]
        raise LaaciqError(f"{name} failed (exit {r.returncode}): {tail}")
    return r


# =============================================================================================
# llama-perplexity's output

_CUM_PPL = re.compile(r"\[(\d+)\]([0-9.]+|nan|inf),")
_FINAL = re.compile(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)")
_KLD_ROW = re.compile(r"^\s*(\d+)\s+([0-9.]+|nan|inf)\s+±\s+\S+\s+(-?[0-9.]+)\s+±\s+\S+\s+"
                      r"(-?[0-9.]+)\s+±\s+\S+\s+([0-9.]+)\s+±\s+\S+\s+%\s+([0-9.]+)\s+±", re.M)
_KLD_MEAN = re.compile(r"^Mean\s+KLD:\s+(-?[0-9.]+)\s+±\s+([0-9.]+)", re.M)
_PPL_Q = re.compile(r"^Mean PPL\(Q\)\s+:\s+([0-9.]+)\s+±\s+([0-9.]+)", re.M)
_PPL_BASE = re.compile(r"^Mean PPL\(base\)\s+:\s+([0-9.]+)\s+±\s+([0-9.]+)", re.M)
_TOP_P = re.compile(r"^Same top p:\s+([0-9.]+)\s+±\s+([0-9.]+)\s+%", re.M)


def _per_chunk(cumulative) -> list[float]:
    """Per-chunk means from running means over equal-sized chunks: ``k·m_k − (k−1)·m_{k−1}``."""
    out, prev = [], 0.0
    for k, m in enumerate(cumulative, start=1):
        out.append(k * m - (k - 1) * prev)
        prev = m
    return out


def _check_chunks(ids, what) -> None:
    if not ids or ids != list(range(1, len(ids) + 1)):
        raise LaaciqError(f"llama-perplexity output has no complete {what} chunk list")


def parse_ppl_output(text: str) -> dict:
    """A plain ``llama-perplexity`` run: per-chunk mean negative log-likelihood (nats per
    scored token; recovered from the printed running perplexities ``[k]ppl,``) and the final
    estimate. Chunks score equal numbers of tokens, so running means difference exactly up to
    the printed rounding (4 decimals of the perplexity)."""
    rows = [(int(k), float(v)) for k, v in _CUM_PPL.findall(text)]
    _check_chunks([k for k, _ in rows], "perplexity")
    final = _FINAL.search(text)
    if final is None:
        raise LaaciqError("llama-perplexity output has no `Final estimate` line")
    return {"chunks": len(rows), "nll": _per_chunk([math.log(v) for _, v in rows]),
            "ppl": float(final.group(1)), "ppl_pm": float(final.group(2))}


def parse_kld_output(text: str) -> dict:
    """A ``llama-perplexity --kl-divergence`` run: per chunk the mean negative log-likelihood of
    the quantized model, its mean difference from the base model's (``ln(PPL(Q)/PPL(base))``) and
    the mean KL divergence, recovered from the running means llama.cpp prints per chunk (5
    decimals); the summary's means; the share of tokens with the same top token."""
    rows = [m.groups() for m in _KLD_ROW.finditer(text)]
    _check_chunks([int(r[0]) for r in rows], "KL-divergence")
    mean = _KLD_MEAN.search(text)
    ppl_q, ppl_b, top = _PPL_Q.search(text), _PPL_BASE.search(text), _TOP_P.search(text)
    if mean is None or ppl_q is None or ppl_b is None:
        raise LaaciqError("llama-perplexity output has no KL divergence statistics")
    return {"chunks": len(rows),
            "nll": _per_chunk([math.log(float(r[1])) for r in rows]),
            "dnll": _per_chunk([float(r[2]) for r in rows]),
            "kld": _per_chunk([float(r[3]) for r in rows]),
            "kld_mean": float(mean.group(1)), "kld_pm": float(mean.group(2)),
            "ppl": float(ppl_q.group(1)), "ppl_base": float(ppl_b.group(1)),
            "same_top_p": float(top.group(1)) / 100 if top else None}


def gguf_bits(path: Path) -> dict:
    """Bits per weight of a GGUF: over the quantizable block matrices (2-D ``blk.*`` weights)
    and over every tensor; the tensor types counted by number of weights."""
    import gguf

    r = gguf.GGUFReader(str(path))
    tot_b = tot_n = blk_b = blk_n = 0
    types: dict = {}
    for t in r.tensors:
        n, b = int(t.n_elements), int(t.n_bytes)
        tot_b, tot_n = tot_b + b, tot_n + n
        if t.name.startswith("blk.") and len(t.shape) == 2:
            blk_b, blk_n = blk_b + b, blk_n + n
            types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + n
    return {"bpw_blocks": 8 * blk_b / blk_n if blk_n else None, "bpw_file": 8 * tot_b / tot_n,
            "block_weights": blk_n, "block_types": types}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["build"]:
        print("usage: python -m laaciq.lm.llamacpp build [--jobs N]", file=sys.stderr)
        return 2
    jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else 2
    try:
        info = build(jobs=jobs)
    except LaaciqError as exc:
        print(f"laaciq: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
