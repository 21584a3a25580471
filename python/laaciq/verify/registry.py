"""Which checks cross-check which Lean theorem, and how Lean names map to Python names.

A check names the Lean theorems it covers where it is written: ``theorems=(…)`` in its
registration (``checks.check`` and the helpers of ``verify/checks/*.py``) or in its symbolic
:class:`~laaciq.verify.symbolic.Spec` (``sympy.…``, ``z3.…``). Adding a theorem therefore means
the Lean file, the check that tests it (and ``claims.json`` if a claim rests on it); nothing
here. :func:`check_theorems` reads those declarations (``{check id: theorem short names}``, in
namespace ``LaAciq``) and :func:`theorem_checks` inverts them into ``{"LaAciq.<name>": [check
ids]}``. :func:`coverage_gaps` compares that with the theorems ``leanscan.scan_tree`` finds in
``LaAciq/``: a theorem without a check, or a check naming no theorem, is reported
(``tests/test_registry.py`` fails on either). Theorems named ``claim_<…>_false`` or ``not_<…>``
are refutations: their checks are refutation searches.

:func:`law_scope` says which laws each theorem covers (``every law`` / ``finite laws`` /
``no law``); the harness stores it as the ``laws`` field of each theorem row of the status
document, for the report's theorem list.
"""

from __future__ import annotations

import re

from laaciq.verify import checks, symbolic

__all__ = ["NAMESPACE", "NAME_MAP", "SCOPES", "check_theorems", "theorem_checks",
           "coverage_gaps", "is_refutation", "law_scope", "check_ids"]

#: The Lean namespace of every registered theorem.
NAMESPACE = "LaAciq"


#: Which laws a theorem covers, as the report's theorem list shows it (:func:`law_scope`).
#: ``every law`` means every model of the interface ``LaAciq.Law``: finite laws through
#: ``Law.ofFinite`` (checked by the compiler) and Lebesgue integration against a probability
#: measure with finite moments (the Mathlib model in ``Law``'s docstring: written, not checked).
SCOPES = ("every law", "finite laws", "no law")

#: Modules whose expectation-level theorems are about finite atom lists (``IsDist``).
_FINITE_MODULES = ("Distribution", "MSE", "Mixture", "Convexity", "Optimality", "Refutations",
                   "Conjectures", "Existence", "Candidates", "RefutationsOptimal", "OutputError",
                   "OutputCounterexample",
                   "AsymGrid")
#: Modules whose theorems are about every law.
_LAW_MODULES = ("Law", "LawTheory")
#: Theorems in those modules that are pointwise statements about scalars (no law involved).
_POINTWISE = frozenset({
    # MSE, Convexity, Optimality, Mixture, Refutations
    "sq_sub_quantize_eq", "posPart_le_of_le_of_nonneg", "convexOn_sq_posPart",
    "sq_posPart_antitone",
    "convexOn_const_mul_sq", "strictConvexOn_const_mul_sq", "const_mul_sq_mono",
    "sq_posPart_sub_le", "eq_zero_of_forall_nonneg", "kurtosis_linear_example",
    "claim_grid_two_pow_false", "step_two", "roundS_eq", "roundS_eq_zero", "roundS_eq_one",
    "roundS_eq_neg_one", "quantize_two_of_abs_le", "claim_step_false",
    "claim_clip_le_alpha_false", "quantize_zero", "claim_quantize_odd_false",
    # Existence, Candidates, RefutationsOptimal
    "posPart_ge_tail", "sq_posPart_ge",
    "exists_max_of_pred", "sq_sub_roundS_le", "sq_sub_mul_roundS_le", "quantize_eq_code",
    "code_mem", "sq_sub_quantize_le_grid", "code_mul_le", "mem_codeRange", "exists_min_of_list",
    "roundS_le_of_halves", "roundS_eq_of_halves", "code_eq_of_no_breakpoint", "code_of_alpha_le",
    "levels_le_levels_succ", "step_bit_up", "bit_up_pos", "sq_sub_quantize_bit_up",
    "step_of_levels_eq", "natCast_three", "natCast_seven", "intCast_two",
    "eq_zero_of_sq_eq_zero", "code_two_cases", "one_le_sq_sub_quantize_two",
    # OutputError, OutputCounterexample, AsymGrid (rows, matrices and grids: no law)
    "sumTo_zero", "sumTo_succ", "sumTo_congr", "sumTo_add", "sumTo_lin3", "sumTo_nonneg",
    "qform_sub_smul",
    "outErr_eq_outGridErr", "outGridErr_eq", "quantize_two_of_half_le",
    "quantize_two_of_lt_half", "quantize_two_of_lt_neg_half", "qform_two", "qform_exH", "exH_psd",
    "exOut_err_eq", "exOutMirror_err_eq", "exOut_err_of_le", "exOut_code_piece", "exOut_err_piece",
    "exOut_code_tie", "exOut_err_tie", "exOut_err_of_ge", "exOut_err_gt", "exOut_err_lt",
    "exOut_inf_not_attained", "claim_outErr_exists_minimizer_false", "exOutMirror_err_tie",
    "exOutMirror_isMin", "exOut_tie_choice", "QPiece.cand_mem", "QPiece.val_cand_le", "qpieces_exists_min",
    "QPiece.ofCodes_val", "QPiece.ofCodes_ok", "outGridErr_pieces_exists_min", "qform_diagM",
    "clampZ_mem", "clampZ_of_mem", "gridCode_mem", "sq_sub_clampZ_roundS_le", "sq_sub_mul_le_of",
    "sq_sub_gridQ_le", "sq_sub_gridQ_int8_le", "quantize_eq_gridQ", "sq_sub_gridQ_mono_grid",
    "mem_codeRangeMN", "fmt_card", "fmt_ends", "fmt_le_succ",
    # Law, LawTheory
    "Law.posPart_nonneg", "Law.posPart_le",
    "Law.sq_posPart_le", "Law.posPart_eq_tail", "Law.indicator_nonneg", "Law.indicator_le_one",
    "Law.tailIndicator_nonneg", "Law.tailIndicator_le_one", "Law.tailAbs_nonneg",
    "Law.tailAbs_le", "Law.sq_sub_quantize_le_of_abs_le", "Law.innerPart_nonneg",
    "Law.innerPart_le_const", "Law.innerPart_le"})
#: Theorems in the law modules that are about finite laws (corollaries through ``ofFinite``).
_FINITE_COROLLARIES = frozenset({
    "Law.ofFinite_E", "Law.ofFinite_hasMoment2", "Law.ofFinite_hasMoment4", "Law.ofFinite_mse",
    "Law.ofFinite_clipError", "Law.ofFinite_cmoment",
    "neg_two_le_kurtosis_of_isDist", "variance_eq", "sq_variance_le_fourth",
    "modelMSE_le_quadratic", "modelMSE_minimizer_fixed_point", "modelMSE_minimizer_fixed_point'"})

#: Lean name -> Python name (the twins that the checks call).
NAME_MAP: dict[str, str] = {
    "LaAciq.clip α x": "quantizer.clip_exact(x, alpha) / quantizer.clip(x, alpha)",
    "LaAciq.roundS y": "quantizer.round_exact(y, 'half_up') / quantizer.round_half_up(y)",
    "LaAciq.levels B": "quantizer.levels(bits)",
    "LaAciq.step α B": "quantizer.step_exact(alpha, bits) / quantizer.step(alpha, bits)",
    "LaAciq.quantize α B x": "quantizer.quantize_exact(x, alpha, bits) / "
                             "quantizer.quantize(x, alpha, bits)",
    "LaAciq.expect l f": "sum(w * f(v)) over a law (values, weights) of Fractions",
    "LaAciq.mean l / cmoment l k / variance l": "distribution.ExactFiniteDist.mean() / "
                                                "central_moment(k) / var()",
    "LaAciq.mix w l₁ l₂": "checks.properties.mix(w, l1, l2) (atoms concatenated)",
    "LaAciq.kurtosis l": "distribution.ExactFiniteDist.excess_kurtosis()",
    "LaAciq.seed004Numerator": "mixture.seed004_kurtosis_formula (numerator)",
    "LaAciq.mse l α B": "mse.mse_exact_fraction(values, weights, alpha, bits) / "
                        "mse.mse_exact(dist, alpha, bits)",
    "LaAciq.clipError l α": "mse.clip_error_fraction(values, weights, alpha) / "
                            "mse.clip_error(dist, alpha)",
    "LaAciq.innerError l α B": "mse.inner_error_fraction(values, weights, alpha, bits) / "
                               "mse.inner_error(dist, alpha, bits)",
    "LaAciq.probInside l α": "distribution.ExactFiniteDist.prob_inside(alpha)",
    "LaAciq.seed004MSE l α B": "mse.mse_model(dist, alpha, bits, 'seed004')",
    "LaAciq.modelMSE l c α": "mse.clip_error(dist, alpha) + c * alpha**2 "
                             "(mse.mse_model with model 'banner': c = 1/(3·4^B))",
    "LaAciq.modelCandidate l c t": "candidates.model_candidates(values, weights, c)",
    "LaAciq.code α B x": "candidates.code_vector(values, alpha, bits)",
    "LaAciq.codeVertex l B k": "candidates.code_vertex(values, weights, codes, bits)",
    "LaAciq.trueCandidates l B": "candidates.true_candidates(values, weights, bits) (positive "
                                 "entries)",
    "LaAciq.Law P (E, Integrable, Measurable)": "a continuous law of theory.distribution: "
                                                "E f = scipy quad of f·pdf (checks.laws)",
    "LaAciq.Law.ofFinite l": "a finite law (values, weights) of Fractions",
    "LaAciq.Law.mse / clipError / innerError / probInside P": "checks.laws quadrature; "
                                                              "mse.mse_exact / clip_error / "
                                                              "inner_error (closed forms)",
    "LaAciq.Law.mixture l": "Σ wᵢ Pᵢ: checks.laws (quadrature, or atoms concatenated)",
}

_REFUTATION_RE = re.compile(r"(?:^|\.)(?:claim_\w+_false|not_\w+)$")


def is_refutation(name: str) -> bool:
    """Whether a theorem name has the refutation shape ``claim_…_false`` / ``not_…``."""
    return bool(_REFUTATION_RE.search(name))


def check_theorems() -> dict[str, tuple[str, ...]]:
    """``{check id: Lean theorems (short names) it cross-checks}`` for every registered check
    and symbolic record that names at least one."""
    out = {c.id: c.theorems for c in checks.load_all().values() if c.theorems}
    for spec in symbolic.specs():
        if spec.theorems:
            if spec.id in out:
                raise ValueError(f"check id {spec.id!r} is both a check and a symbolic record")
            out[spec.id] = spec.theorems
    return out


def theorem_checks(mapping: dict[str, tuple[str, ...]] | None = None) -> dict[str, list[str]]:
    """``{"LaAciq.<theorem>": sorted check ids}``, from ``mapping`` (default
    :func:`check_theorems`)."""
    out: dict[str, set[str]] = {}
    for cid, names in (check_theorems() if mapping is None else mapping).items():
        for n in names:
            out.setdefault(f"{NAMESPACE}.{n}", set()).add(cid)
    return {k: sorted(v) for k, v in sorted(out.items())}


def coverage_gaps(theorems: set[str], mapping: dict[str, tuple[str, ...]] | None = None
                  ) -> tuple[list[str], list[str]]:
    """``(theorems with no check, names a check gives that are not theorems)``, both sorted
    full names, comparing ``theorems`` (``LaAciq.<name>``, e.g. from ``leanscan.scan_tree``)
    with ``mapping`` (default :func:`check_theorems`)."""
    mapped = set(theorem_checks(mapping))
    return sorted(theorems - mapped), sorted(mapped - theorems)


def law_scope(name: str, module: str) -> str:
    """Which laws theorem ``name`` (``LaAciq.<…>`` or short) of ``module`` covers: one of
    :data:`SCOPES`."""
    short = name[len(NAMESPACE) + 1:] if name.startswith(NAMESPACE + ".") else name
    mod = module.rsplit(".", 1)[-1]
    if short in _POINTWISE:
        return "no law"
    if mod in _LAW_MODULES:
        return "finite laws" if short in _FINITE_COROLLARIES else "every law"
    if mod in _FINITE_MODULES:
        return "finite laws"
    return "no law"


def check_ids() -> set[str]:
    """Every check id that names a Lean theorem."""
    return set(check_theorems())
