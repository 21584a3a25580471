"""Benchmarks of :mod:`laaciq.tensor.solver` against the peers of :mod:`laaciq.tensor.baselines`
(``python -m laaciq.tensor.bench [--full] [--out report/bench.json]``; not part of ``validate``).

Every method gets the same float32 tensors; every ratio is measured in one run.

* optimality — ``MSE(method)/MSE(exact true optimum)``, the MSE always being the true MSE of the
  project's quantizer at the method's α. Laws: N(0,1), Laplace, Student-t₃, N(0,1) with a fraction
  1e-4 of values at 30σ; 2/3/4/8 bits; per tensor (n = 2^18) and per channel (rows of 4096:
  mean, p99 and max over rows).
* speed — seconds of each method / seconds of ``exact-true`` at n = 2^16, 2^20 (2^24 with
  ``--full``), per tensor, 4 and 8 bits; the exact surrogate optimum at n = 2^24 against one
  ``np.sort`` of the same data (target ≤ 3×; also reported with the true-MSE evaluation of the
  optimum, one more pass); the exact true optimum of a 4096×4096 per-channel 4-bit tensor
  against NVIDIA's 1920-candidate histogram search (numpy, one row at a time, as in
  pytorch-quantization; default: timed on 256 rows and scaled ×16, ``--full``: all rows);
  peak extra memory (tracemalloc) of the exact solvers relative to the tensor's bytes (target
  ≤ 3×).

The report (``report/bench.json``, written atomically) records the commit (``git rev-parse
HEAD``), the time, the machine and every number; the targets are reported as they fall.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from laaciq.tensor import baselines
from laaciq.tensor import solver as exact
from laaciq.io import atomic_write_text

LAWS = ("normal", "laplace", "t3", "normal+outliers")
BITS = (2, 3, 4, 8)
PEERS = {
    "banner-gauss": lambda r, b: baselines.banner(r, b, "gauss"),
    "banner-laplace": lambda r, b: baselines.banner(r, b, "laplace"),
    "octav": baselines.octav,
    "kurtosis-rule": lambda r, b: baselines.kurtosis_rule(r, b),
    "nvidia-hist-1920": baselines.nvidia_hist,
    "intel-40": baselines.intel_ratios,
    "modelopt-39": baselines.modelopt_mse,
    "gptq-80": baselines.gptq_shrink,
    "pytorch-hist": baselines.pytorch_hist,
}


def sample(law: str, shape, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if law == "normal":
        x = rng.standard_normal(shape)
    elif law == "laplace":
        x = rng.laplace(size=shape)
    elif law == "t3":
        x = rng.standard_t(3, size=shape)
    elif law == "normal+outliers":
        x = rng.standard_normal(shape)
        hit = rng.random(shape) < 1e-4
        x[hit] = 30.0 * np.sign(x[hit])
    else:
        raise ValueError(law)
    return x.astype(np.float32)


def _log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def _time(fn, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _ratios(x, bits, axis):
    """Per-row ratios of every method (and the exact surrogate) to the exact optimum."""
    ref = exact.exact_alpha(x, bits, axis=axis)
    ref_mse = np.atleast_1d(ref.mse)
    rows, _ = exact.as_slices(x, axis)
    out = {}
    names = dict(PEERS)
    names["exact-uniform"] = None
    for name, fn in names.items():
        if name == "kurtosis-rule" and bits != 4:
            continue
        if fn is None:
            al = np.atleast_1d(exact.exact_alpha(x, bits, "uniform", axis=axis).alpha)
        else:
            al = fn(rows, bits)
        m = np.atleast_1d(exact.slice_mse(x, al if axis is not None else al[0], bits,
                                          axis=axis))
        r = np.where(ref_mse > 0, m / np.where(ref_mse > 0, ref_mse, 1), 1.0)
        out[name] = {"mean": float(r.mean()), "p99": float(np.quantile(r, 0.99)),
                     "max": float(r.max()), "min": float(r.min())}
    return out


def optimality(rows_per_channel: int, n_tensor: int) -> dict:
    res = {"per_tensor": {}, "per_channel": {}, "n_tensor": n_tensor,
           "per_channel_shape": [rows_per_channel, 4096]}
    for li, law in enumerate(LAWS):
        for bits in BITS:
            key = f"{law}/{bits}b"
            _log(f"optimality {key}")
            x = sample(law, n_tensor, 10 + li)
            res["per_tensor"][key] = {k: v["mean"] for k, v in _ratios(x, bits, None).items()}
            w = sample(law, (rows_per_channel, 4096), 20 + li)
            res["per_channel"][key] = _ratios(w, bits, 0)
    return res


def speed(sizes) -> dict:
    res = {}
    for n in sizes:
        x = sample("normal", n, 1)
        rows = x[None]
        for bits in (4, 8):
            key = f"n=2^{int(np.log2(n))}/{bits}b"
            _log(f"speed {key}")
            rep = 3 if n <= 1 << 20 else 1
            t_ours, r = _time(lambda: exact.exact_alpha(x, bits), rep)
            entry = {"exact-true": t_ours, "exact-true_stats": r.stats}
            t_u, _ = _time(lambda: exact.exact_alpha(x, bits, "uniform"), rep)
            entry["exact-uniform"] = t_u
            for name, fn in PEERS.items():
                if name == "kurtosis-rule" and bits != 4:
                    continue
                if name == "pytorch-hist" and n > 1 << 20:
                    continue
                t, _ = _time(lambda: fn(rows, bits), 1 if n > 1 << 16 else rep)
                entry[name] = t
            entry["ratio_to_exact_true"] = {k: v / t_ours for k, v in entry.items()
                                            if isinstance(v, float)}
            res[key] = entry
    return res


def surrogate_vs_sort(n: int) -> dict:
    x = sample("normal", n, 2)
    t_sort, _ = _time(lambda: np.sort(x), 3)
    out = {"n": n, "np_sort_seconds": t_sort}
    for bits in (2, 4, 8):
        for obj in ("uniform", "banner", "seed004"):
            t, r = _time(lambda: exact.exact_alpha(x, bits, obj, evaluate=False), 3)
            t_ev, _ = _time(lambda: exact.exact_alpha(x, bits, obj), 1)
            out[f"{obj}/{bits}b"] = {"seconds": t, "over_sort": t / t_sort,
                                     "target_le_3x": bool(t <= 3 * t_sort),
                                     "seconds_with_true_mse": t_ev,
                                     "with_true_mse_over_sort": t_ev / t_sort,
                                     "stats": r.stats}
    return out


def per_channel_target(full: bool) -> dict:
    w = sample("normal", (4096, 4096), 3)
    _log("4096x4096 per-channel 4-bit: exact true MSE")
    t_ours, r = _time(lambda: exact.exact_alpha(w, 4, axis=0))
    rows = 4096 if full else 256
    _log(f"4096x4096 per-channel 4-bit: NVIDIA 1920-candidate histogram on {rows} rows")
    t_nv, al = _time(lambda: baselines.nvidia_hist(w[:rows], 4))
    t_nv_all = t_nv * 4096 / rows
    mse_nv = exact.slice_mse(w[:rows], al, 4, axis=0)
    ratio = float(np.mean(mse_nv) / np.mean(np.asarray(r.mse)[:rows]))
    return {"shape": [4096, 4096], "bits": 4, "exact_true_seconds": t_ours,
            "exact_true_stats": r.stats, "nvidia_rows_timed": rows,
            "nvidia_seconds": t_nv_all, "nvidia_extrapolated": rows < 4096,
            "speedup": t_nv_all / t_ours, "target_faster": bool(t_ours < t_nv_all),
            "nvidia_mse_ratio_on_timed_rows": ratio}


def memory() -> dict:
    out = {}
    cases = [("surrogate uniform, per tensor n=2^24", lambda: sample("normal", 1 << 24, 4),
              lambda x: exact.exact_alpha(x, 4, "uniform")),
             ("true, per tensor n=2^22, 4 bits", lambda: sample("normal", 1 << 22, 5),
              lambda x: exact.exact_alpha(x, 4)),
             ("true, per channel 1024x4096, 4 bits", lambda: sample("normal", (1024, 4096), 6),
              lambda x: exact.exact_alpha(x, 4, axis=0))]
    for name, make, run in cases:
        _log(f"memory {name}")
        x = make()
        tracemalloc.start()
        run(x)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[name] = {"tensor_bytes": int(x.nbytes), "peak_extra_bytes": int(peak),
                     "over_tensor": peak / x.nbytes, "target_le_3x": bool(peak <= 3 * x.nbytes)}
    return out


def _git(*args) -> str | None:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def run(full: bool = False) -> dict:
    t0 = time.perf_counter()
    status = _git("status", "--porcelain", "--untracked-files=no")
    doc = {"commit": _git("rev-parse", "HEAD"), "commit_dirty": bool(status),
           "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "full": full, "machine": {"python": platform.python_version(),
                                     "numpy": np.__version__, "cpus": os.cpu_count(),
                                     "platform": platform.platform()}}
    doc["optimality"] = optimality(256 if full else 32, 1 << 18)
    doc["speed"] = speed([1 << 16, 1 << 20] + ([1 << 24] if full else []))
    doc["surrogate_vs_sort"] = surrogate_vs_sort(1 << 24)
    doc["per_channel_4096"] = per_channel_target(full)
    doc["memory"] = memory()
    doc["seconds"] = time.perf_counter() - t0
    return doc


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m laaciq.tensor.bench", description=__doc__.split("\n")[0])
    p.add_argument("--full", action="store_true", help="n = 2^24 speed rows, 256-row "
                                                       "per-channel optimality, all NVIDIA rows")
    p.add_argument("--out", default=None, help="output JSON (default: report/bench.json under "
                                               "the project root)")
    args = p.parse_args(argv)
    doc = run(args.full)
    if args.out:
        out = Path(args.out)
    else:
        from laaciq.io import project_root
        out = project_root() / "report" / "bench.json"
    atomic_write_text(out, json.dumps(doc, indent=1, default=float) + "\n")
    _log(f"wrote {out} in {doc['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
