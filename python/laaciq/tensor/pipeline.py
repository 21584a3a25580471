"""Whole checkpoints: tensor selection, a process pool over tensors and row blocks, outputs.

Selection (:func:`select`): floating tensors with at least 2 dimensions (the weight matrices) by
default; ``all_tensors`` adds the 1-D ones (biases, norms); ``patterns`` (shell-style) select by
name among every floating tensor. A granularity that a selected tensor cannot have is an error
naming it (no fallback): ``axis`` out of range, a per-channel axis that leaves one value per
slice, a group that does not divide the last dimension.

Work (:func:`run`): each selected tensor becomes one task, or several blocks of rows along the
channel axis (per channel) or axis 0 (groups) when it is large; a worker reads only its block
(``safe_open(...).get_slice``), checks it is finite (the one check: the solver's ``*_trusted``
entry points run after it), computes the thresholds and, for ``quantize``, writes the
fake-quantized block (and its codes) at its place in the pre-sized output files. Per worker the
memory is the block in its own dtype, its float32 copy, and the solver's working set (blocks of
``2^18`` values): ≤ 2× the largest tensor as float32 + a few hundred MB (``make bench``
measures it).

Interruption: workers ignore SIGINT and die with their parent (``PR_SET_PDEATHSIG``, Linux);
the parent alone unwinds (Ctrl-C, SIGTERM through :class:`laaciq.fsguard.OutputDir`), stops the
workers at once and removes its temporary output, so no worker outlives a run or prints a
traceback, and nothing writes into a folder after it is removed.
"""

from __future__ import annotations

import fnmatch
import math
import os
import resource
import signal
import sys
import time

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.tensor import baselines, calibrated, checkpoint
from laaciq.tensor import exact as solver
from laaciq.tensor import api
from laaciq.theory import quantizer

__all__ = ["select", "granularity", "make_tasks", "run", "BLOCK_VALUES"]

#: a tensor larger than this is split into row blocks (when its granularity allows it)
BLOCK_VALUES = 1 << 22
#: blocks are at least this large (fewer, larger tasks amortize the per-task overhead)
MIN_BLOCK_VALUES = 1 << 18


def select(ck: checkpoint.Checkpoint, patterns=None, all_tensors=False):
    """``(selected entries, skipped descriptions)`` (module docstring)."""
    kept, skipped = [], []
    for e in ck.entries:
        if patterns and not any(fnmatch.fnmatchcase(e.name, p) for p in patterns):
            continue
        if not e.floating:
            skipped.append(f"{e.name} ({e.dtype})")
        elif e.size == 0:
            raise LaaciqError(f"{e.file}: tensor {e.name!r} is empty")
        elif len(e.shape) < 2 and not (all_tensors or patterns):
            skipped.append(f"{e.name} ({len(e.shape)}-D; --all includes it)")
        else:
            kept.append(e)
    if patterns and not kept and not skipped:
        raise LaaciqError(f"{ck.path}: no tensor matches {', '.join(patterns)}")
    if not kept:
        raise LaaciqError(f"{ck.path}: no floating-point tensor to quantize"
                          + (f" (skipped: {', '.join(skipped[:5])})" if skipped else ""))
    return kept, skipped


def granularity(e, axis, group) -> tuple:
    """``(axis, group, split axis, label)`` for tensor ``e``, or a LaaciqError."""
    nd = len(e.shape)
    if group is not None:
        if nd == 0 or e.shape[-1] % group:
            raise LaaciqError(f"tensor {e.name!r} of shape {list(e.shape)}: --group {group} does "
                              f"not divide its last dimension (select tensors with --tensor)")
        return None, group, (0 if nd >= 2 else None), f"group {group}"
    if axis is not None:
        if not -nd <= axis < nd:
            raise LaaciqError(f"tensor {e.name!r} has {nd} dimension(s): no axis {axis} for "
                              f"--per-channel (select tensors with --tensor or pick an axis in "
                              f"{-nd}..{nd - 1})")
        if e.size == e.shape[axis]:
            raise LaaciqError(f"tensor {e.name!r} of shape {list(e.shape)}: --per-channel {axis} "
                              f"gives one threshold per value (leave 1-D tensors out, or use "
                              f"per tensor)")
        return axis % nd, None, axis % nd, f"per channel (axis {axis % nd})"
    return None, None, None, "per tensor"


def make_tasks(entries, axis, group, jobs: int):
    """Tasks ``(entry index, split axis, r0, r1)`` (largest first), with the label per entry."""
    total = sum(e.size for e in entries)
    target = max(MIN_BLOCK_VALUES, min(BLOCK_VALUES, total // max(1, 4 * jobs)))
    tasks, labels, gran = [], [], []
    for i, e in enumerate(entries):
        ax, gr, sa, label = granularity(e, axis, group)
        labels.append(label)
        gran.append((ax, gr))
        if sa is None or e.size <= target:
            tasks.append((i, None, 0, 0, e.size))
            continue
        d = e.shape[sa]
        per = max(1, math.ceil(d * target / e.size))
        for r0 in range(0, d, per):
            r1 = min(d, r0 + per)
            tasks.append((i, sa, r0, r1, e.size * (r1 - r0) // d))
    tasks.sort(key=lambda t: -t[4])
    return [t[:4] for t in tasks], labels, gran


def _index(nd, sa, r0, r1):
    if sa is None:
        return None
    return (slice(None),) * sa + (slice(r0, r1),)


# =============================================================================================
# the worker


def _peer_alpha(method, rows, bits, mo):
    fn = {"banner-gauss": lambda: baselines.banner(rows, bits, "gauss", mo),
          "banner-laplace": lambda: baselines.banner(rows, bits, "laplace", mo),
          "octav": lambda: baselines.octav(rows, bits, moments=mo),
          "kurtosis-rule": lambda: baselines.kurtosis_rule(rows, bits, mo),
          "nvidia-hist-1920": lambda: baselines.nvidia_hist(rows, bits),
          "intel-40": lambda: baselines.intel_ratios(rows, bits),
          "modelopt-39": lambda: baselines.modelopt_mse(rows, bits),
          "gptq-80": lambda: baselines.gptq_shrink(rows, bits),
          "pytorch-hist": lambda: baselines.pytorch_hist(rows, bits)}[method]
    return np.asarray(fn(), dtype=np.float64)


#: calibrated methods and the job key of their data (absent: the unweighted true optimum)
_CALIBRATED = {"exact-weighted": "importance", "exact-output": "hessian"}


def _calibrated_alpha(method, x, rows, cw, job, bits, gr):
    """``(α, codes or None)``: ``exact-weighted`` / ``exact-output`` thresholds of a block
    (:mod:`.calibrated`); the output objective takes the block's (out, in) rows and returns the
    codes it chose (the weights are written from them)."""
    if method == "exact-output":
        return calibrated.output_alpha(x.reshape(-1, x.shape[-1]), job["hessian"], bits, gr,
                                       job["damp"])
    return calibrated.weighted_alpha(rows, cw, bits), None


def work(job: dict) -> dict:
    """One task (module docstring); ``job`` holds the entry, the block, the methods and the
    output plan. Returns thresholds, squared-error sums and seconds per method, the block's
    moments and the process's peak RSS."""
    e, sa, r0, r1 = job["entry"], job["sa"], job["r0"], job["r1"]
    ax, gr, bits = job["axis"], job["group"], job["bits"]
    index = _index(len(e.shape), sa, r0, r1)
    raw = checkpoint.read_entry(e, index)
    x = checkpoint.to_float(raw)
    del raw
    checkpoint.check_finite(x, e)                        # the one finiteness check
    rows, tshape = solver.as_slices(x, ax, gr)
    mo = baselines.row_moments(rows) if job["moments"] else None
    out = {"i": job["i"], "sa": sa, "r0": r0, "r1": r1, "alpha": {}, "sq": {}, "sec": {},
           "n": int(x.size), "slices": int(rows.shape[0])}
    if mo is not None:
        whole = baselines.merge_moments(mo)
        out["moments"] = {k: whole[k] for k in ("n", "mean", "m2", "m3", "m4")}
    m = rows.shape[1]
    cw = job.get("importance")
    if cw is not None:                      # --imatrix: each value's input-column importance
        cw = calibrated.block_weights(cw, e.shape, index, ax, gr)
        out["wsq"] = {}
    fixed = {}                              # method -> (codes, q) chosen by the solver
    for method in job["methods"]:
        t0 = time.perf_counter()
        calib = _CALIBRATED.get(method)
        if calib is not None and job.get(calib) is not None:
            al, codes = _calibrated_alpha(method, x, rows, cw, job, bits, gr)
            if codes is not None:
                fixed[method] = (codes, calibrated.codes_times_steps(codes, al, bits, gr))
        elif method.startswith("exact-"):              # (no calibration data: unweighted)
            obj = "true" if calib else method[len("exact-"):]
            r = solver.exact_alpha_trusted(x, bits, obj, axis=ax, group=gr, evaluate=False)
            al = np.asarray(r.alpha, dtype=np.float64).reshape(-1)
        else:
            al = _peer_alpha(method, rows, bits, mo)
        out["sec"][method] = time.perf_counter() - t0
        if method in fixed:
            q_rows = solver.as_slices(fixed[method][1].reshape(x.shape), ax, gr)[0]
            out["sq"][method] = float(np.sum(np.square(rows - q_rows)))
        else:
            q_rows = None
            mse = np.atleast_1d(solver.slice_mse_trusted(rows, tshape, al, bits))
            out["sq"][method] = float(np.sum(mse) * m)
        if cw is not None:
            out["wsq"][method] = calibrated.weighted_sq(rows, cw, al, bits, q_rows)
        out["alpha"][method] = al.reshape(tshape) if tshape else al.reshape(())
    if job.get("holdout") is not None and "exact-output" in fixed:     # --holdout-hessian
        out["layer_output"] = calibrated.output_report(
            x.reshape(-1, x.shape[-1]), fixed["exact-output"][1], job["hessian"], job["holdout"],
            bits, ax, gr)
    plan = job.get("plan")
    if plan:
        al = out["alpha"][job["methods"][0]].reshape(-1)
        codes, q = fixed.get(job["methods"][0], (None, None))
        if q is None:
            q = api.fake_quantize_trusted(x, al, bits, ax, gr)
        f, (off, dt, shape) = plan["weights"]
        checkpoint.write_block(f, off, dt, shape, index, api.round_once(q.reshape(x.shape), dt))
        del q
        if "codes" in plan:
            f, (off, dt, shape) = plan["codes"]
            checkpoint.write_block(f, off, dt, shape, index,
                                   api.codes_trusted(x, al, bits, ax, gr) if codes is None
                                   else codes.reshape(x.shape))
    out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


# =============================================================================================
# the pool


def _progress(total, quiet, desc):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="val", unit_scale=True, desc=desc, file=sys.stderr,
                leave=False, mininterval=1.0)


def run(jobs_list, jobs: int, quiet=True, desc="laaciq"):
    """Run ``work`` on every job (in a pool of ``jobs`` processes when > 1), yielding results
    as they complete; a progress bar with ETA on a terminal unless ``quiet``.

    The pool forks. A process that has imported torch may hold its thread pools, and a forked
    worker of such a process can hang for good (measured: the layer-output objective's workers
    after one torch matmul in the parent); there the jobs run in this process, one at a time."""
    bar = _progress(sum(j["n_values"] for j in jobs_list), quiet, desc)
    try:
        if jobs > 1 and "torch" in sys.modules:
            _log_serial(quiet)
            jobs = 1
        if jobs <= 1 or len(jobs_list) == 1:
            for j in jobs_list:
                res = work(j)
                if bar is not None:
                    bar.update(j["n_values"])
                yield res
            return
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        ex = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init)
        try:
            futs = {ex.submit(work, j): j for j in jobs_list}
            for fut in as_completed(futs):
                res = fut.result()
                if bar is not None:
                    bar.update(futs[fut]["n_values"])
                yield res
        except BaseException:
            _stop(ex)
            raise
        ex.shutdown()
    finally:
        if bar is not None:
            bar.close()


def _log_serial(quiet: bool) -> None:
    """Say so on a terminal (where the progress bar speaks too); never into a captured stream,
    which may be a command's one error line."""
    if not quiet and sys.stderr.isatty():
        print("laaciq: torch is loaded in this process: jobs run here one at a time (a forked "
              "worker pool can hang on torch's thread pools)", file=sys.stderr, flush=True)


def _worker_init() -> None:
    """In each worker: the parent handles Ctrl-C and SIGTERM; a dead parent kills us."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:       # the parent died before the prctl
        os._exit(1)


def _stop(ex) -> None:
    """Cancel what has not started and kill the workers (they may be writing a block)."""
    procs = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.kill()
    for p in procs:
        p.join()


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def assemble(entries, results, methods):
    """Per entry: full thresholds per method (blocks put in place), squared-error sums,
    seconds and pooled moments."""
    acc = [{"alpha": {}, "sq": dict.fromkeys(methods, 0.0), "sec": dict.fromkeys(methods, 0.0),
            "mom": [], "slices": 0} for _ in entries]
    rss = 0
    for r in results:
        a = acc[r["i"]]
        rss = max(rss, r["rss"])
        a["slices"] += r["slices"]
        if "moments" in r:
            a["mom"].append(r["moments"])
        if "layer_output" in r:                    # sums over blocks (calibrated.output_report)
            lo = a.setdefault("layer_output", {})
            for k, d in r["layer_output"].items():
                for h, v in d.items():
                    lo.setdefault(k, {}).setdefault(h, 0.0)
                    lo[k][h] += v
        for mth in methods:
            a["sq"][mth] += r["sq"][mth]
            if "wsq" in r:
                a.setdefault("wsq", dict.fromkeys(methods, 0.0))[mth] += r["wsq"][mth]
            a["sec"][mth] += r["sec"][mth]
            a["alpha"].setdefault(mth, []).append((r["sa"], r["r0"], r["alpha"][mth]))
    for a in acc:
        for mth, parts in a["alpha"].items():
            if len(parts) == 1:
                a["alpha"][mth] = np.asarray(parts[0][2])
                continue
            parts.sort(key=lambda p: p[1])
            sa = parts[0][0]
            # per channel: the threshold axis is 0; groups split along axis 0 too
            a["alpha"][mth] = np.concatenate([np.atleast_1d(p[2]) for p in parts], axis=0) \
                if sa is not None else parts[0][2]
        if a["mom"]:
            mm = {k: np.array([d[k] for d in a["mom"]]) for k in ("n", "mean", "m2", "m3", "m4")}
            a["moments"] = baselines.merge_moments(mm)
    return acc, rss


def levels(bits):
    return quantizer.levels(bits)
