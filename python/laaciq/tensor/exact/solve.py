"""Public entry points of the exact solver and the one engine-choice rule (``PROOF.md`` §7).

:func:`exact_alpha` checks its arguments and calls :func:`exact_alpha_trusted` (the checkpoint
pipeline, which checks each tensor once at load, calls the latter directly). A single tensor of
more than ``PARAMS.big`` values takes the streaming path; every other call is solved as rows,
by the engine :func:`choose_engine` names.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from laaciq.argcheck import check_bits, check_choice
from laaciq.tensor.exact.numpy_engine import _rows_numpy
from laaciq.tensor.exact import params
from laaciq.tensor.exact.slices import _sq_err_stream, as_slices, check_input
from laaciq.tensor.exact.stream import _true_stream
from laaciq.tensor.exact.surrogate import SURROGATES, _surrogate_stream, surrogate_coefficient
from laaciq.theory import quantizer

try:                                   # the compiled engine (numba, a core dependency)
    from laaciq.tensor.exact import compiled as _compiled
except ImportError:                    # pragma: no cover - numba missing: the numpy engine
    _compiled = None

__all__ = ["OBJECTIVES", "ENGINES", "ExactResult", "choose_engine", "exact_alpha",
           "exact_alpha_trusted"]

#: What :func:`exact_alpha` minimizes: the true MSE or a seed's surrogate.
OBJECTIVES = ("true",) + SURROGATES
#: Engines: "compiled" (numba), "numpy", or "auto" (:func:`choose_engine`).
ENGINES = ("auto", "compiled", "numpy")


def choose_engine(engine: str, bits: int) -> str:
    """The engine that solves rows: "compiled" or "numpy". "auto" takes the compiled kernels when
    numba imports, up to ``PARAMS.compiled_max_bits`` bits (measured faster there), the numpy
    engine above; an explicit "compiled" without numba is a ``ValueError``. The one rule every
    objective's entry point uses."""
    check_choice(engine, "engine", ENGINES)
    if engine == "compiled" and _compiled is None:
        raise ValueError("engine 'compiled' needs numba, which does not import here")
    if engine == "auto":
        ok = _compiled is not None and bits <= params.PARAMS.compiled_max_bits
        return "compiled" if ok else "numpy"
    return engine


@dataclass(frozen=True)
class ExactResult:
    """Result of :func:`exact_alpha`.

    ``alpha``: the thresholds (shape ``()`` per tensor, ``(C,)`` per channel, the block shape for
    groups); ``mse``: the true MSE of the real quantizer at ``alpha`` per slice (same shape);
    ``value``: the objective minimized at ``alpha`` (``= mse`` for "true"); ``seconds``: wall time;
    ``stats``: work counters (breakpoints scanned, branch-and-bound rounds, candidates evaluated).
    """

    alpha: np.ndarray
    mse: np.ndarray
    value: np.ndarray
    bits: int
    objective: str
    axis: int | None
    group: int | None
    seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def mse_total(self) -> float:
        """The MSE over the whole tensor (every slice has the same size)."""
        return float(np.mean(self.mse))


def exact_alpha(x, bits: int = 4, objective: str = "true", axis=None, group=None,
                rounding: str = "half_up", evaluate: bool = True,
                engine: str = "auto") -> ExactResult:
    """The exact minimizer ``α`` of ``objective`` for every slice of ``x``.

    ``objective``: "true" (the real round-to-nearest MSE of :func:`quantizer.quantize`),
    "banner", "seed001", "uniform" (convex surrogates) or "seed004" (noise weighted by
    ``P(|X| ≤ α)``); see the module docstring for the algorithms and their proofs.
    ``axis``/``group``: see :func:`as_slices`. Rows of zeros have every ``α`` optimal; ``1.0`` is
    returned for them. ``evaluate=False`` skips the true-MSE evaluation of a surrogate's
    optimum (``mse`` is then NaN; "true" always has it). ``engine`` (:data:`ENGINES`): how the
    true-MSE rows (per channel, per group, a tensor of at most 2^18 values) are solved — the
    compiled kernel or the numpy row path; both are exact, the compiled one is ~5-10× faster.
    Returns an :class:`ExactResult`.
    """
    t0 = time.perf_counter()
    bits = check_bits(bits)
    check_choice(objective, "objective", OBJECTIVES)
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    check_choice(engine, "engine", ENGINES)
    return exact_alpha_trusted(check_input(x), bits, objective, axis, group, rounding,
                               evaluate, t0, engine)


def exact_alpha_trusted(arr: np.ndarray, bits: int, objective: str = "true", axis=None,
                        group=None, rounding: str = "half_up", evaluate: bool = True,
                        t0: float | None = None, engine: str = "auto") -> ExactResult:
    """:func:`exact_alpha` without the input checks: the caller guarantees a finite, non-empty
    float32/float64 array and valid ``bits``/``objective``/``rounding`` (the checkpoint
    pipeline checks every tensor once when it loads it). ``engine`` (:data:`ENGINES`) chooses
    the solver of the true-MSE rows; both are exact and are tested against each other."""
    t0 = time.perf_counter() if t0 is None else t0
    compiled = choose_engine(engine, bits) == "compiled"
    rows, shape = as_slices(arr, axis, group)
    R, m = rows.shape
    L = quantizer.levels(bits)
    stats: dict = {"slices": int(R), "slice_size": int(m)}
    alpha = np.empty(R)
    mse = np.empty(R)
    value = np.empty(R)
    if R == 1 and m > params.PARAMS.big:
        x1 = rows.reshape(-1)
        stats["path"] = "stream"
        if objective == "true":
            alpha[0], mse[0] = _true_stream(x1, L, rounding, stats)
            value[0] = mse[0]
        else:
            c = surrogate_coefficient(bits, objective)
            alpha[0], value[0] = _surrogate_stream(x1, c, objective == "seed004", stats)
            mse[0] = _sq_err_stream(x1, alpha[:1], L, rounding)[0] / m if evaluate else np.nan
    else:
        stats["path"] = "rows"
        if objective == "true" and compiled:
            stats["engine"] = "compiled"
            alpha, mse = _compiled.true_rows_compiled(rows, L, rounding, stats)
            value = mse
        else:
            _rows_numpy(rows, bits, objective, rounding, evaluate, stats, alpha, mse, value)
    out = (lambda v: v.reshape(shape)) if shape else (lambda v: np.asarray(v[0]))
    return ExactResult(out(alpha), out(mse), out(value), bits, objective,
                       None if axis is None else int(axis), group,
                       time.perf_counter() - t0, stats)
