"""The exact solver's results in ``make bench``: every case's thresholds and errors, a digest,
and the comparison of two bench outputs.

:func:`solver_results` runs the exact solver on a fixed set of cases (the bench's laws, fixed
seeds) and records, per case, the thresholds ``alpha`` and the errors ``error`` (one per slice:
the true MSE at ``alpha``; for the weighted cases the weighted error, for the output cases the
layer-output error, ``alpha`` = step·L) and the best wall seconds of ``repeat`` runs. ``digest``
is the sha256 of every case's ``alpha`` and ``error`` (exact float64 bits, keys sorted): two runs
with the same digest gave bit-identical results.

:func:`compare` says, case by case, whether a later run gives the same results as an earlier one
(``python -m laaciq.tensor.bench --against BEFORE.json``; with ``--only solver_results`` only
these cases run): the same error to ``rtol`` (1e-12 relative) on every slice. The thresholds may
differ only where the errors are equal — an exact tie of two thresholds of equal error, where
another engine or order of evaluation may pick the other one; such a case is reported as
``tie`` and counts as equal. The time ratio (later / earlier seconds) is reported per case; the
two runs are separate, so it is a ratio across runs, not one measured in the same run.
"""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.tensor import exact

__all__ = ["solver_cases", "solver_results", "digest", "compare", "comparison_lines", "RTOL"]

#: Relative tolerance on the errors for two runs to count as the same.
RTOL = 1e-12
#: The bench's laws, bit-widths and surrogate objectives.
LAWS = ("normal", "laplace", "t3", "normal+outliers")
BITS = (2, 3, 4, 8)
SURROGATES = ("uniform", "banner", "seed004")


def solver_cases(smoke: bool = False) -> list[tuple[str, dict]]:
    """``(key, spec)`` of every case; ``smoke``: the same cases on small sizes."""
    n, rows, cols = (1 << 12, 4, 256) if smoke else (1 << 18, 32, 4096)
    out = []
    for li, law in enumerate(LAWS):
        for bits in BITS:
            out.append((f"tensor/true/{law}/{bits}b", {"kind": "tensor", "law": law,
                        "bits": bits, "shape": [n], "seed": 10 + li, "objective": "true"}))
            for engine in ("compiled", "numpy"):
                out.append((f"channel/true/{engine}/{law}/{bits}b",
                            {"kind": "channel", "law": law, "bits": bits,
                             "shape": [rows, cols], "seed": 20 + li, "objective": "true",
                             "engine": engine}))
        for obj in SURROGATES:
            out.append((f"tensor/{obj}/{law}/4b", {"kind": "tensor", "law": law, "bits": 4,
                        "shape": [n], "seed": 10 + li, "objective": obj}))
        for bits in (4, 8):
            out.append((f"weighted/{law}/{bits}b", {"kind": "weighted", "law": law,
                        "bits": bits, "shape": [rows, cols // 4], "seed": 40 + li}))
    for bits in (2, 4):
        out.append((f"output/t3/{bits}b", {"kind": "output", "law": "t3", "bits": bits,
                    "shape": [rows // 4 or 1, 64 if smoke else 256], "seed": 50}))
    return out


def _solve(spec: dict, sample, importance):
    """One case's ``(alpha, error)`` as arrays (one entry per slice)."""
    x = sample(spec["law"], tuple(spec["shape"]), spec["seed"])
    bits, kind = spec["bits"], spec["kind"]
    if kind in ("tensor", "channel"):
        r = exact.exact_alpha(x, bits, spec["objective"], axis=0 if kind == "channel" else None,
                              engine=spec.get("engine", "auto"))
        return np.atleast_1d(r.alpha), np.atleast_1d(r.mse)
    if kind == "weighted":
        return exact.weighted_exact_alpha(x, importance(x.shape[1], spec["seed"]), bits)
    X = np.random.default_rng(spec["seed"]).standard_t(5, (400, x.shape[1]))
    steps, _, err = exact.optimal_codes_output(x, X.T @ X / len(X), bits, damp=0.01)
    return np.asarray(steps) * (2 ** (bits - 1) - 1), np.asarray(err)


def solver_results(sample, importance, smoke: bool = False, repeat: int = 2, only=None,
                   log=None) -> dict:
    """Run every case (or the keys in ``only``) ``repeat`` times, on the bench's data:
    ``sample(law, shape, seed)`` and ``importance(n, seed)`` (the column weights of the weighted
    cases). Returns ``{"cases": {key: {spec…, "alpha", "error", "seconds"}}, "digest", "rtol",
    "repeats"}``."""
    cases = {}
    for key, spec in solver_cases(smoke):
        if only is not None and key not in only:
            continue
        if log:
            log(f"solver results {key}")
        best, res = np.inf, None
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            res = _solve(spec, sample, importance)
            best = min(best, time.perf_counter() - t0)
        alpha, err = (np.asarray(a, dtype=np.float64).ravel() for a in res)
        cases[key] = dict(spec, alpha=alpha.tolist(), error=err.tolist(), seconds=best)
    return {"cases": cases, "digest": digest(cases), "rtol": RTOL, "repeats": max(1, repeat)}


def digest(cases: dict) -> str:
    """sha256 of every case's ``alpha`` and ``error`` (exact float64 bits, keys sorted)."""
    h = hashlib.sha256()
    for key in sorted(cases):
        c = cases[key]
        h.update(json.dumps([key, [float(a).hex() for a in c["alpha"]],
                             [float(e).hex() for e in c["error"]]]).encode())
    return h.hexdigest()


def _rel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0)


def _cases_of(doc: dict, name: str) -> dict:
    """The ``solver_results`` cases of a bench output, checked for shape."""
    sr = doc.get("solver_results") if isinstance(doc, dict) else None
    cases = sr.get("cases") if isinstance(sr, dict) else None
    if not isinstance(cases, dict):
        raise LaaciqError(f"{name} has no solver_results: run `make bench` (or `python -m "
                          f"laaciq.tensor.bench --only solver_results`) to write one")
    for key, c in cases.items():
        ok = isinstance(c, dict) and all(
            isinstance(c.get(f), list) and all(isinstance(v, (int, float)) for v in c[f])
            for f in ("alpha", "error")) and len(c["alpha"]) == len(c["error"]) \
            and isinstance(c.get("seconds"), (int, float))
        if not ok:
            raise LaaciqError(f"{name}: solver_results case {key!r} is malformed (alpha, error: "
                              f"lists of numbers of one length; seconds: a number)")
    return cases


def _spec(case: dict) -> dict:
    return {k: v for k, v in case.items() if k not in ("alpha", "error", "seconds")}


def compare(before: dict, after: dict, rtol: float = RTOL, names=("before", "after")) -> dict:
    """Case-by-case comparison of two bench outputs (see the module docstring). Returns
    ``{"ok", "rtol", "rows": [{"case", "status", "max_rel_error_diff", "alpha_slices_differ",
    "time_ratio"}]}``; ``status``: ``equal``, ``tie`` (equal errors, another threshold),
    ``differs``, ``other input`` (another law, shape, seed, … e.g. a smoke run against a full
    one), ``only in before`` / ``only in after``."""
    b, a = _cases_of(before, names[0]), _cases_of(after, names[1])
    rows = []
    for key in sorted(set(b) | set(a)):
        if key not in a or key not in b:
            rows.append({"case": key, "status": f"only in {names[0] if key in b else names[1]}"})
            continue
        eb, ea = np.asarray(b[key]["error"], float), np.asarray(a[key]["error"], float)
        ab, aa = np.asarray(b[key]["alpha"], float), np.asarray(a[key]["alpha"], float)
        row = {"case": key, "time_ratio": a[key]["seconds"] / b[key]["seconds"]
               if b[key]["seconds"] > 0 else None}
        if _spec(b[key]) != _spec(a[key]) or eb.shape != ea.shape:
            rows.append(dict(row, status="other input"))
            continue
        worst = float(_rel(eb, ea).max(initial=0.0))
        moved = int(np.count_nonzero(ab != aa))
        status = "differs" if worst > rtol else ("tie" if moved else "equal")
        rows.append(dict(row, status=status, max_rel_error_diff=worst,
                         alpha_slices_differ=moved))
    return {"ok": all(r["status"] in ("equal", "tie") for r in rows), "rtol": rtol,
            "rows": rows}


def comparison_lines(cmp: dict) -> list[str]:
    """A plain-text table of :func:`compare`'s rows and a closing verdict."""
    out = [f"{'case':44} {'status':14} {'max rel err diff':>16} {'alpha moved':>11} "
           f"{'time ratio':>10}"]
    for r in cmp["rows"]:
        d = r.get("max_rel_error_diff")
        t = r.get("time_ratio")
        out.append(f"{r['case']:44} {r['status']:14} "
                   f"{'' if d is None else f'{d:.3g}':>16} "
                   f"{r.get('alpha_slices_differ', ''):>11} "
                   f"{'' if t is None else f'{t:.2f}':>10}")
    ties = [r["case"] for r in cmp["rows"] if r["status"] == "tie"]
    bad = [r["case"] for r in cmp["rows"] if r["status"] not in ("equal", "tie")]
    out.append(f"{len(cmp['rows']) - len(bad)} of {len(cmp['rows'])} cases give the same "
               f"errors (to {cmp['rtol']:g} relative)"
               + (f"; thresholds differ at equal error (ties) in: {', '.join(ties)}"
                  if ties else "")
               + (f"; NOT the same: {', '.join(bad)}" if bad else ""))
    return out
