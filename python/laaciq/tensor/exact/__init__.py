"""The exact solver: the global minimizer of a quantizer's clipping threshold per tensor, per
channel or per group, for the true round-to-nearest MSE, the seeds' surrogates, the weighted error
``Σ c_j (w_j - q_j)²`` and the layer-output error ``(w - q)ᵀ H (w - q)``.

Why each result is exact is written once, in ``PROOF.md`` beside this file: one section per
step, each naming the Lean theorem (``LaAciq/*.lean``) it rests on; every module points to its
section. Modules, from the entry points down:

* :mod:`~laaciq.tensor.exact.solve` — :func:`exact_alpha` and the engine-choice rule;
* :mod:`~laaciq.tensor.exact.params` — the one frozen parameter set every engine reads;
* :mod:`~laaciq.tensor.exact.slices` — input checks, slices, the quantizer's error;
* :mod:`~laaciq.tensor.exact.surrogate` — the surrogate objectives (§2);
* :mod:`~laaciq.tensor.exact.bounds` — bracket, interval lower bounds, branch and bound (§4–§5);
* :mod:`~laaciq.tensor.exact.scan` — breakpoint scan, Lloyd upper values (§3, §6);
* :mod:`~laaciq.tensor.exact.numpy_engine`, :mod:`~laaciq.tensor.exact.compiled` — the two
  engines of the true-MSE rows;
* :mod:`~laaciq.tensor.exact.stream` — one large tensor or a weighted pool, streaming (§7);
* :mod:`~laaciq.tensor.exact.weighted`, :mod:`~laaciq.tensor.exact.weighted_compiled` — the
  weighted objective, numpy and compiled engines (§8);
* :mod:`~laaciq.tensor.exact.output` — the layer-output objective, compiled (§9);
* :mod:`~laaciq.tensor.exact.compiled_bounds` — the compiled engines' lower bounds (§5).

Public functions are re-exported here; callers import from ``laaciq.tensor.exact`` only.
"""

from laaciq.tensor.exact.params import PARAMS, SolverParams
from laaciq.tensor.exact.slices import as_slices, check_input, level_rows, slice_mse, \
    slice_mse_trusted
from laaciq.tensor.exact.solve import ENGINES, OBJECTIVES, ExactResult, choose_engine, \
    exact_alpha, exact_alpha_trusted
from laaciq.tensor.exact.stream import exact_alpha_weighted
from laaciq.tensor.exact.surrogate import SURROGATES, surrogate_coefficient
from laaciq.tensor.exact.output import damped, optimal_codes_output, output_error
from laaciq.tensor.exact.weighted import weighted_error, weighted_exact_alpha

__all__ = ["PARAMS", "SolverParams", "OBJECTIVES", "SURROGATES", "ENGINES", "ExactResult",
           "as_slices", "check_input", "choose_engine", "exact_alpha", "exact_alpha_trusted",
           "exact_alpha_weighted", "level_rows", "slice_mse", "slice_mse_trusted",
           "surrogate_coefficient", "weighted_error", "weighted_exact_alpha", "damped",
           "optimal_codes_output", "output_error"]
