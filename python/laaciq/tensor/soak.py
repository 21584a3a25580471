"""``make soak``: quantize a large synthetic sharded checkpoint again and again, killing the run
at random moments, then once to completion, and count what went wrong.

    python -m laaciq.tensor.soak [--weights 2**30] [--kills 6] [--jobs N] [--dir DIR]

The checkpoint: ``--weights`` bfloat16 values (Student-t, 5 degrees of freedom, seeded) in
square tensors of at most 2^24 values, four shards and an index, written block by block (never
held in memory). A reference run quantizes it uninterrupted (``--codes``). Then ``--kills``
runs on one ``--out`` with ``--force``, each sent SIGKILL, SIGTERM or SIGINT (in turn) at a
uniformly random moment of the reference run's duration; after each: ``--out`` must be absent or
byte-identical to the reference (never a mix), SIGTERM/SIGINT must leave no temporary, no worker
may survive. A last run completes; its output must equal the reference and nothing may be left
beside it. Per run the peak memory (the run and its workers: ``wait4``'s ``ru_maxrss``) is checked
against the pipeline's bound: 2 x the largest tensor as float32 + 512 MiB per process.

Prints the counts (runs, kills, completed, identical, mixed outputs, leaked files, leaked
processes, peak memory) and exits 1 if any is wrong. Not in CI (minutes, GBs); a smoke version
with 2^16 weights is (tests/test_reliability.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from laaciq import fsguard
from laaciq.tensor import checkpoint

SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)


def make_checkpoint(folder: Path, weights: int, seed: int = 0) -> dict:
    """The synthetic sharded checkpoint (module docstring); returns its index document."""
    side = 1 << max(1, min(12, (int(math.log2(max(weights, 64))) - 3) // 2))   # >= 8 tensors
    n = max(1, weights // (side * side))
    names = [f"model.layers.{i}.weight" for i in range(n)]
    shards = [names[k::4] for k in range(min(4, n))]
    folder.mkdir(parents=True, exist_ok=True)
    wmap, rng = {}, np.random.default_rng(seed)
    for k, group in enumerate(shards):
        fname = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        path = folder / fname
        plan = checkpoint.plan_safetensors(path, [(t, "bfloat16", (side, side)) for t in group],
                                           {"format": "pt"})
        for t in group:
            off, dt, shape = plan[t]
            for r0 in range(0, side, 1024):
                rows = min(1024, side - r0)
                block = rng.standard_t(5, size=(rows, side)).astype(np.float32)
                checkpoint.write_block(path, off, dt, shape, (slice(r0, r0 + rows),),
                                       block)
            wmap[t] = fname
    index = {"metadata": {"total_size": n * side * side * 2}, "weight_map": wmap}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=1))
    return {"tensors": n, "side": side, "shards": len(shards)}


def digest(out: Path) -> dict:
    """sha256 of every output file but quantize.json (which holds timings)."""
    return {p.relative_to(out).as_posix(): fsguard.sha256_file(p)
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != "quantize.json"}


def _leftovers(parent: Path, out: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir()
                  if p.name.startswith(f".{out.name}.") and p.name != out.name)


def _survivors(out: Path) -> list[int]:
    """Processes still running a quantize into ``out`` (workers that outlived their run)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                cmd = (d / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if os.fsencode(str(out)) in cmd and b"quantize" in cmd:
                pids.append(int(d.name))
    return pids


def _interactive() -> None:
    """In the child: Ctrl-C acts as on a terminal (a background shell would ignore it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _quantize(ck: Path, out: Path, jobs: int, kill_after=None, sig=None):
    """One run; ``(return code, seconds, peak RSS bytes of it and its workers, stderr)``."""
    cmd = [sys.executable, "-m", "laaciq", "quantize", str(ck), "--out", str(out), "--force",
           "--quiet", "--codes", "--jobs", str(jobs), "--format", "json"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         preexec_fn=_interactive)
    status = ru = None
    while kill_after is not None and time.monotonic() - t0 < kill_after:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        status = None
        time.sleep(0.005)
    if status is None:
        if kill_after is not None:
            p.send_signal(sig)
        _, status, ru = os.wait4(p.pid, 0)     # this run's own peak (workers included)
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read()
    p.stderr.close()
    return p.returncode, time.monotonic() - t0, ru.ru_maxrss * 1024, err


def soak(weights: int, kills: int, jobs: int, folder: Path, seed: int = 0, log=print) -> dict:
    """Run the soak (module docstring); returns the counts."""
    rnd = random.Random(seed)
    ck, out = folder / "ck", folder / "out"
    t0 = time.monotonic()
    shape = make_checkpoint(ck, weights, seed)
    log(f"checkpoint: {shape['tensors']} tensors of {shape['side']}^2 bf16 in "
        f"{shape['shards']} shards ({time.monotonic() - t0:.1f} s)")
    rc, ref_s, peak, err = _quantize(ck, folder / "ref", jobs)
    if rc != 0:
        raise RuntimeError(f"the reference run failed: {err}")
    ref = digest(folder / "ref")
    bound = 2 * 4 * shape["side"] ** 2 + (512 << 20)        # per process
    counts = {"runs": 1, "kills": 0, "completed": 1, "identical": 1, "mixed": 0,
              "leaked_files": 0, "leaked_processes": 0, "errors": 0,
              "reference_seconds": round(ref_s, 2), "peak_rss_bytes": peak,
              "memory_bound_bytes": bound, "signals": {}}
    log(f"reference run: {ref_s:.1f} s, {len(ref)} files")
    for k in range(kills + 1):
        last = k == kills
        sig = None if last else SIGNALS[k % len(SIGNALS)]
        at = None if last else rnd.uniform(0.0, ref_s)
        rc, sec, peak, err = _quantize(ck, out, jobs, at, sig)
        counts["runs"] += 1
        counts["peak_rss_bytes"] = max(counts["peak_rss_bytes"], peak)
        name = "complete" if last else signal.Signals(sig).name
        counts["signals"][name] = counts["signals"].get(name, 0) + 1
        killed = rc != 0
        counts["kills"] += killed
        if killed and rc not in (-signal.SIGKILL, 130, -signal.SIGTERM, -signal.SIGINT):
            counts["errors"] += 1
            log(f"  run {k + 1}: unexpected exit {rc}: {err.strip()[-300:]}")
        if not killed:
            counts["completed"] += 1
        state = digest(out) if out.exists() else None
        if state is not None:
            if state == ref:
                counts["identical"] += 1 if not killed else 0
            else:
                counts["mixed"] += 1
        left = _leftovers(folder, out)
        if left and (sig != signal.SIGKILL or last):
            counts["leaked_files"] += len(left)
        fsguard.wait_until(lambda: not _survivors(out), 30.0)   # a loaded machine is slow to reap
        alive = _survivors(out)
        counts["leaked_processes"] += len(alive)
        for pid in alive:
            os.kill(pid, signal.SIGKILL)
        seen = "absent" if state is None else "identical" if state == ref else "MIXED"
        when = f" at {at:.2f} s" if at is not None else ""
        log(f"  run {k + 1}: {name}{when}: exit {rc}, {sec:.1f} s, output {seen}, left beside "
            f"it: {left or 'nothing'}")
    counts["ok"] = (counts["mixed"] == 0 and counts["leaked_files"] == 0
                    and counts["leaked_processes"] == 0 and counts["errors"] == 0
                    and digest(out) == ref and counts["peak_rss_bytes"] <= bound)
    return counts


def _count(s: str) -> int:
    base, _, exp = s.partition("**")
    return int(base) ** int(exp) if exp else int(base)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m laaciq.tensor.soak", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=_count, default=1 << 30,
                   help="number of weights (an integer, or a power such as 2**30)")
    p.add_argument("--kills", type=int, default=6)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dir", help="work folder (default: a temporary one, removed after)")
    p.add_argument("--json", help="also write the counts here")
    a = p.parse_args(argv)
    folder = Path(a.dir) if a.dir else Path(tempfile.mkdtemp(prefix="laaciq-soak-"))
    try:
        c = soak(a.weights, a.kills, a.jobs, folder, a.seed)
    finally:
        if not a.dir:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"soak: {c['runs']} runs, {c['kills']} killed ({c['signals']}), {c['completed']} "
          f"completed, {c['identical']} identical to the reference, {c['mixed']} mixed, "
          f"{c['leaked_files']} leaked files, {c['leaked_processes']} leaked processes, "
          f"{c['errors']} unexpected errors; peak memory {c['peak_rss_bytes'] / 2**20:.0f} MiB "
          f"(bound {c['memory_bound_bytes'] / 2**20:.0f} MiB): {'OK' if c['ok'] else 'FAILED'}")
    if a.json:
        Path(a.json).write_text(json.dumps(c, indent=1) + "\n")
    return 0 if c["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
