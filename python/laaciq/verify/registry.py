"""Which checks cross-check which Lean theorem, and how Lean names map to Python names.

:data:`CHECK_THEOREMS` lists, per check id, the Lean theorems (short names in namespace
``LaAciq``) whose conclusions that check tests. :func:`theorem_checks` inverts it into
``{"LaAciq.<name>": [check ids]}``. ``tests/test_registry.py`` asserts two-way set equality
with the theorems that ``leanscan.scan_tree`` finds in ``LaAciq/``: a theorem without a check, or a
registry entry naming no theorem, fails the test. Theorems named ``claim_<…>_false`` or
``not_<…>`` are refutations: their checks are refutation searches.

Check ids starting with ``sympy.`` or ``z3.`` are the records of ``symbolic.run_all()``.

:func:`law_scope` says which laws each theorem covers (``every law`` / ``finite laws`` /
``no law``); the harness stores it as the ``laws`` field of each theorem row of the status
document, for the report's theorem list.
"""

from __future__ import annotations

import re

__all__ = ["NAMESPACE", "CHECK_THEOREMS", "NAME_MAP", "SCOPES", "theorem_checks",
           "is_refutation", "law_scope", "check_ids"]

#: The Lean namespace of every registered theorem.
NAMESPACE = "LaAciq"

_Z3_QBITS = (2, 3, 4, 8)


def _z3q(name: str) -> list[str]:
    return [f"z3.quantizer.B{b}.{name}" for b in _Z3_QBITS]


#: check id -> Lean theorems (short names) it cross-checks.
CHECK_THEOREMS: dict[str, list[str]] = {
    # --- Clip.lean
    "prop.clip.bounds": ["clip_le_alpha", "neg_alpha_le_clip", "clip_in_range", "clip_abs_le",
                         "clip_mono_alpha"],
    "prop.clip.fixed_points": ["clip_of_in_range", "clip_idempotent", "clip_eq_self_iff",
                               "sub_clip_eq_zero_iff"],
    "prop.clip.saturation": ["clip_of_alpha_le", "clip_of_le_neg_alpha"],
    "prop.clip.order": ["clip_mono_x", "clip_nonneg"],
    "prop.clip.lipschitz": ["clip_lipschitz"],
    "prop.clip.symmetry": ["clip_neg", "clip_mul"],
    "prop.clip.residual": ["abs_sub_clip"],
    "exh.clip": ["clip_le_alpha", "neg_alpha_le_clip", "clip_in_range", "clip_of_in_range",
                 "clip_idempotent", "clip_abs_le", "clip_mono_x", "clip_mono_alpha",
                 "clip_nonneg", "clip_of_alpha_le", "clip_of_le_neg_alpha", "clip_eq_self_iff",
                 "clip_lipschitz", "clip_neg", "abs_sub_clip", "sub_clip_eq_zero_iff",
                 "clip_mul"],
    **{f"z3.clip.{n}": [n] for n in (
        "clip_le_alpha", "neg_alpha_le_clip", "clip_in_range", "clip_of_in_range",
        "clip_idempotent", "clip_abs_le", "clip_mono_x", "clip_mono_alpha", "clip_nonneg",
        "clip_of_alpha_le", "clip_of_le_neg_alpha", "clip_eq_self_iff", "clip_lipschitz",
        "clip_neg", "abs_sub_clip", "sub_clip_eq_zero_iff")},
    "prop.scalar.api": ["maxS_def", "minS_def", "absS_def", "maxS_self", "minS_self",
                        "maxS_cases", "le_maxS_left", "le_maxS_right", "minS_le_left",
                        "minS_le_right", "maxS_eq_left", "maxS_eq_right", "minS_eq_left",
                        "minS_eq_right", "maxS_le_iff", "le_minS_iff", "maxS_mono_right",
                        "minS_mono_right", "absS_nonneg", "le_absS_self", "neg_le_absS",
                        "absS_of_nonneg", "absS_of_nonpos", "absS_le_iff", "absS_neg",
                        "absS_sub_comm", "absS_mul_self", "clip_cases"],
    "ref.clip_le_alpha_any_sign": ["claim_clip_le_alpha_false"],
    "z3.clip.clip_le_alpha.needs_alpha_nonneg": ["claim_clip_le_alpha_false"],
    # --- rounding (Quantizer.lean, Refutations.lean)
    "prop.round.basic": ["floor_eq_of_le_of_lt", "roundS_intCast", "roundS_sub_le",
                         "roundS_mono", "roundS_le_of_le", "le_roundS_of_le",
                         "intCast_le_intCast_of_le", "roundS_eq", "roundS_eq_zero",
                         "roundS_eq_one", "roundS_eq_neg_one"],
    "prop.round.neg": ["roundS_neg"],
    # --- levels and step
    "exh.levels": ["one_le_levels", "two_mul_levels_add_one", "levels_cast_pos",
                   "intCast_levels", "step_two"],
    "prop.step": ["step_pos", "step_mul_levels", "step_eq_two_mul_div", "levels_cast_pos",
                  "intCast_levels"],
    "sympy.step_size": ["step_eq_two_mul_div", "claim_step_false"],
    "ref.step_size": ["claim_step_false", "step_two"],
    "ref.grid_points": ["claim_grid_two_pow_false"],
    "prop.div": ["div_le_of_le_mul_of_pos", "le_div_of_mul_le_of_pos"],
    # --- the quantizer
    "prop.quantize.grid": ["quantize_mem_grid", "quantize_grid_point", "quantize_mem_range",
                           "quantize_zero"],
    "prop.quantize.error": ["abs_sub_quantize_le", "quantize_two_of_abs_le"],
    "prop.quantize.saturation": ["quantize_of_alpha_le", "quantize_of_le_neg_alpha"],
    "prop.quantize.order": ["quantize_idempotent", "quantize_mono"],
    "prop.quantize.homogeneous": ["quantize_homogeneous"],
    "prop.quantize.odd_off_ties": ["quantize_neg"],
    "prop.quantize.seed_formula": ["quantize_eq_seed"],
    "exh.quantizer": ["two_mul_levels_add_one", "quantize_mem_grid", "quantize_grid_point",
                      "quantize_mem_range", "abs_sub_quantize_le", "quantize_of_alpha_le",
                      "quantize_of_le_neg_alpha", "quantize_mono", "quantize_neg",
                      "quantize_eq_seed", "quantize_zero", "quantize_two_of_abs_le"],
    **{k: [n] for n in ("quantize_mem_grid", "quantize_mem_range", "abs_sub_quantize_le",
                        "quantize_of_alpha_le", "quantize_of_le_neg_alpha", "quantize_mono",
                        "quantize_idempotent") for k in _z3q(n)},
    "ref.quantize_odd_tie": ["claim_quantize_odd_false"],
    # --- finite laws (Distribution.lean)
    "prop.expect.linearity": ["expect_add", "expect_const_mul", "expect_const_eq_mul_weight",
                              "expect_const"],
    "prop.expect.order": ["expect_nonneg", "expect_mono", "prob_nonneg", "prob_le_one"],
    "prop.expect.structure": ["expect_scale", "expect_map_weight", "expect_append"],
    "prop.mixture.moments": ["expect_mix", "isDist_mix", "mean_mix", "variance_mix",
                             "cmoment_four_mix"],
    "prop.moments": ["variance_eq", "sq_variance_le_fourth", "expect_sub_mean",
                     "expect_sq_shift", "expect_pow_four_shift"],
    # --- mixtures (Mixture.lean)
    "sympy.mixture_moments_n2": ["variance_mix", "cmoment_four_mix", "mean_mix"],
    "sympy.mixture_moments_n3": ["variance_mix", "cmoment_four_mix"],
    "prop.mixture.seed004_defect": ["cmoment_four_mix_eq_seed004_add",
                                    "cmoment_four_mix_eq_seed004_iff"],
    "sympy.seed004_kurtosis_defect": ["cmoment_four_mix_eq_seed004_add",
                                      "cmoment_four_mix_eq_seed004_iff"],
    "prop.mixture.linear_kurtosis": ["kurtosis_mix_eq_linear"],
    "sympy.kappa_eff_linear_vs_true": ["kurtosis_mix_eq_linear", "kurtosis_linear_example"],
    "exh.mixture.linear_example": ["kurtosis_linear_example"],
    # --- MSE.lean
    "prop.mse.decomposition": ["sq_sub_quantize_eq", "mse_eq_clipError_add_innerError",
                               "expect_congr"],
    "sympy.mse_pointwise_decomposition": ["sq_sub_quantize_eq"],
    "prop.mse.inner_bound": ["innerError_le", "sq_le_sq_of_abs_le"],
    "prop.mse.scale": ["mse_scale"],
    "prop.mse.nonneg": ["mse_nonneg", "clipError_nonneg", "innerError_nonneg",
                        "clipError_eq_zero_of_abs_le"],
    # --- Convexity.lean
    "prop.convex.clip_error": ["sq_convex_comb_le", "convexOn_sq_posPart", "convexOn_clipError",
                               "posPart_le_of_le_of_nonneg"],
    "prop.convex.antitone": ["sq_posPart_antitone", "clipError_antitone",
                             "sq_le_sq_of_nonneg_of_le"],
    "prop.convex.model": ["convexOn_const_mul_sq", "strictConvexOn_const_mul_sq",
                          "convexOn_modelMSE", "strictConvexOn_modelMSE",
                          "modelMSE_minimizer_unique"],
    "prop.convex.monotone": ["const_mul_sq_mono", "probInside_mono", "sq_mul_probInside_mono"],
    # --- Optimality.lean
    "prop.optimality.fixed_point": ["sq_posPart_sub_le", "modelMSE_le_quadratic",
                                    "eq_zero_of_forall_nonneg", "modelMSE_minimizer_fixed_point",
                                    "modelMSE_minimizer_fixed_point'"],
    # --- Refutations.lean
    "ref.mse_identity_seed001": ["claim_mse_eq_clip_add_noise_false"],
    "ref.mse_identity_seed004": ["claim_mse_eq_seed004_false"],
    "ref.clip_error_strict_antitone": ["claim_clipError_strict_anti_false"],
    "ref.mse_convex": ["claim_mse_convex_false"],
    "ref.seed004_model_convex": ["claim_seed004_mse_convex_false"],
    "ref.disparity_bound_shared": ["claim_disparity_bound_false"],
    "ref.disparity_bound": ["claim_disparity_bound_false", "claim_disparity_bound_optimal_false"],
    "ref.seed004_kurtosis_formula": ["claim_seed004_kurtosis_formula_false"],
    # --- Existence.lean
    "prop.existence.model": ["absS_nonneg", "absS_pos", "div_pos_of_pos", "tailMass_nonneg",
                             "posPart_ge_tail", "tail_le_posPartMean", "posPartMean_eq_tail",
                             "tailSum_zero", "sq_posPart_ge", "modelMSE_growth",
                             "expect_abs_pos_of_atom", "expect_eq_zero_of",
                             "modelMSE_exists_minimizer_iff", "exists_max_of_pred",
                             "modelMSE_fixed_point_exists", "fixed_point_of_candidate",
                             "modelMSE_le_of_fixed_point", "modelMSE_exists_minimizer",
                             "eq_of_modelMSE_le_fixed_point", "modelMSE_isMinOn_pos_iff",
                             "modelMSE_minimizer_pos_unique", "modelMSE_no_minimizer_of_zero"],
    # --- Candidates.lean
    "prop.candidates.nearest": ["sq_sub_roundS_le", "sq_sub_mul_roundS_le", "quantize_eq_code",
                                "code_mem", "sq_sub_quantize_le_grid", "code_mul_le"],
    "prop.candidates.breakpoints": ["roundS_le_of_halves", "roundS_eq_of_halves",
                                    "code_eq_of_no_breakpoint", "code_of_alpha_le",
                                    "mul_le_of_le_div_of_pos"],
    "prop.candidates.frozen": ["gridErr_eq", "mse_eq_gridErr_code", "mse_le_gridErr",
                               "codeSq_mul_le", "gridErr_vertex_le", "mse_codeVertex_le",
                               "codeDot_eq_zero_of_codeSq", "mse_le_of_codeSq_eq_zero"],
    "prop.candidates.existence": ["mem_codeRange", "mem_codeSums", "mse_le_candidate",
                                  "exists_min_of_list", "mse_exists_minimizer"],
    "prop.bits.monotone": ["levels_le_levels_succ", "step_bit_up", "bit_up_pos",
                           "sq_sub_quantize_bit_up", "mse_bit_up", "mse_exists_bit_up",
                           "optimal_mse_antitone_bits"],
    "exh.bits.fixed_alpha": ["mse_fixed_alpha_bits_up", "step_of_levels_eq", "natCast_three",
                             "natCast_seven", "intCast_two"],
    # --- RefutationsOptimal.lean
    "prop.refopt.helpers": ["eq_zero_of_sq_eq_zero", "one_le_sq_of", "code_two_cases",
                            "one_le_sq_sub_quantize_two", "mse_scale_optimal", "mse_one_two_pos"],
    "ref.disparity_bound_optimal": ["claim_disparity_bound_optimal_false", "mse_scale_optimal",
                                    "mse_one_two_pos"],
    "ref.alpha_monotone_finite": ["claim_optimal_alpha_monotone_false", "monoLaw₁_optimum_ge",
                                  "monoLaw₂_mse_one", "monoLaw₂_mse_ge"],
    "ref.kappa_eff_linear": ["claim_kappa_eff_linear_false"],
    "ref.kappa_eff_linear_pm12": ["claim_kappa_eff_linear_false"],
    # --- OutputError.lean: the layer-output error (w - Q w)ᵀ H (w - Q w)
    "ref.output.no_minimizer": ["claim_outErr_exists_minimizer_false", "exOut_inf_not_attained",
                                "exOut_err_gt", "exOut_err_lt", "exOut_err_tie",
                                "exOut_code_tie", "exOut_code_piece", "exOut_err_piece",
                                "exOutMirror_err_tie", "exOutMirror_isMin", "exH_psd",
                                "exOut_tie_choice"],
    "exh.output.example": ["qform_two", "qform_exH", "exH_psd", "exOut_err_eq",
                           "exOutMirror_err_eq", "exOut_err_of_le", "exOut_err_piece",
                           "exOut_err_of_ge", "exOut_err_gt", "exOutMirror_isMin",
                           "quantize_two_of_half_le", "quantize_two_of_lt_half",
                           "quantize_two_of_lt_neg_half", "div_lt_of_lt_mul_of_pos"],
    "prop.output.forms": ["sumTo_zero", "sumTo_succ", "sumTo_congr", "sumTo_add", "sumTo_lin3",
                          "sumTo_nonneg",
                          "qform_sub_smul", "outGridErr_eq", "outErr_eq_outGridErr",
                          "qform_diagM", "sumTo_eq_expect", "atoms_nonneg",
                          "outErr_diag_eq_mse"],
    "prop.output.pieces": ["QPiece.cand_mem", "QPiece.val_cand_le", "qpieces_exists_min"],
    "prop.output.frozen_pieces": ["QPiece.ofCodes_ok", "QPiece.ofCodes_val",
                                  "outGridErr_pieces_exists_min"],
    "exh.output.diag_minimizer": ["outErr_diag_exists_minimizer", "outErr_diag_eq_mse"],
    # --- OutputTies.lean: a free choice among nearest codes attains the minimum
    "exh.output.tie_minimizer": ["outErr_tie_exists_minimizer", "tieCandidates_dominate",
                                 "NearCodes.of_piece", "NearCodes.eq_zero_of_beyond",
                                 "NearCodes.congr", "nearCodes_zero_farStep", "farStep_pos",
                                 "two_mul_absS_lt_farStep", "mem_breakpoints", "mem_codeVectors",
                                 "mem_intRange", "outGridErr_congr", "outGridErr_zero_codes",
                                 "outGridErr_zero_step"],
    "prop.output.tie_lemmas": ["mul_nonneg_of_nonneg", "mul_pos_of_pos", "pos_of_pos_mul",
                               "nonpos_of_nonpos_mul", "intCast_one_le_or_le_neg_one",
                               "mul_self_pos_of", "root_between", "near_on_piece",
                               "sq_le_sq_sub_of_one_le", "sq_sub_zero_le_of_two_abs_lt",
                               "le_two_mul_div_of_near", "le_sumTo", "exists_least_of_mem",
                               "exists_lower_bound"],
    # --- AsymGrid.lean: asymmetric integer grids [-M, N], either sign of the step
    "prop.grid.nearest": ["clampZ_mem", "clampZ_of_mem", "gridCode_mem",
                          "sq_sub_clampZ_roundS_le", "sq_sub_mul_le_of", "sq_sub_gridQ_le",
                          "sq_sub_gridQ_int8_le", "quantize_eq_gridQ", "sq_sub_gridQ_mono_grid"],
    "prop.grid.candidates": ["mse_eq_gridMse", "gridMse_eq_gridErr", "gridMse_le_gridErr",
                             "gridErr_zero", "mem_codeRangeMN", "mem_codeSumsMN",
                             "gridMse_le_candidate", "gridMse_exists_minimizer"],
    "exh.grid.formats": ["fmt_card", "fmt_ends", "fmt_le_succ", "gridMse_mono_grid",
                         "fmtMse_bit_up", "fmt_optimal_antitone_bits"],
    # --- Law.lean, LawTheory.lean: every law. Each theorem is checked on continuous laws
    # (law.continuous.*, quadrature) and, where the finite twin has a check, on finite laws too.
    "law.continuous.mse_decomposition": [
        "Law.mse_eq_clipError_add_innerError", "Law.E_congr", "Law.integrable_clipPart",
        "Law.integrable_innerPart", "Law.measurable_innerPart",
        "mse_eq_clipError_add_innerError_of_isDist"],
    "law.continuous.inner_bound": ["Law.innerError_le", "Law.integrable_indicator",
                                   "Law.integrable_innerPart", "Law.E_mono"],
    "law.continuous.convexity": ["Law.convexOn_clipError", "Law.clipError_antitone",
                                 "Law.convexOn_modelMSE", "Law.strictConvexOn_modelMSE",
                                 "Law.modelMSE_minimizer_unique", "Law.E_mono"],
    "law.continuous.fixed_point": ["Law.modelMSE_le_quadratic", "Law.modelMSE_minimizer_fixed_point",
                                   "Law.modelMSE_minimizer_fixed_point'", "Law.integrable_posPart",
                                   "Law.integrable_tailAbs", "Law.integrable_tailIndicator",
                                   "Law.E_const"],
    "law.continuous.moments": [
        "Law.E_sub_mean", "Law.E_sq_shift", "Law.E_pow_four_shift", "Law.variance_eq",
        "Law.sq_variance_le_fourth", "Law.neg_two_le_kurtosis", "Law.hasMoment2_of_hasMoment4",
        "Law.integrable_id_of_hasMoment2", "Law.integrable_sq_of_hasMoment4",
        "Law.integrable_pow_three_of_hasMoment4", "Law.E_const"],
    "law.continuous.mixture": ["Law.variance_mixture", "Law.cmoment_four_mixture",
                               "Law.cmoment_four_mixture_eq_seed004_add", "Law.mean_mixture",
                               "Law.mixture_E", "Law.hasMoment2_mixture",
                               "Law.hasMoment4_mixture"],
    "prop.law.domination": [
        "Law.absS_le_sq_add_one", "Law.sq_le_pow_four_add_one", "Law.absS_pow_three_le",
        "Law.absS_sq", "Law.posPart_nonneg", "Law.posPart_le",
        "Law.sq_posPart_le", "Law.posPart_eq_tail", "Law.indicator_nonneg",
        "Law.indicator_le_one", "Law.tailIndicator_nonneg", "Law.tailIndicator_le_one",
        "Law.tailAbs_nonneg", "Law.tailAbs_le", "Law.sq_sub_quantize_le_of_abs_le",
        "Law.innerPart_nonneg", "Law.innerPart_le_const", "Law.innerPart_le",
        "Law.integrable_of_nonneg_of_le", "Law.integrable_of_abs_le_const",
        "Law.integrable_indicator", "Law.integrable_tailIndicator", "Law.integrable_tailAbs",
        "Law.integrable_posPart", "Law.integrable_clipPart", "Law.integrable_innerPart"],
    "prop.law.measurable_forms": [
        "Law.measurable_const", "Law.measurable_neg", "Law.measurable_sub", "Law.measurable_sq",
        "Law.measurable_maxS", "Law.measurable_absS", "Law.measurable_posPart",
        "Law.measurable_pow_two", "Law.measurable_pow_three", "Law.measurable_pow_four",
        "Law.measurable_quantize", "Law.measurable_indicator", "Law.measurable_innerPart",
        "Law.integrable_congr", "Law.measurable_congr", "Law.integrable_sub_sq",
        "Law.integrable_sub_pow_three", "Law.integrable_sub_pow_four", "Law.integrable_sub_const"],
    "prop.law.mixture_n": [
        "Law.wsum_congr", "Law.wsum_add", "Law.wsum_const_mul", "Law.wsum_nonneg",
        "Law.wsum_E_add", "Law.wsum_E_const_mul", "Law.wsum_E_nonneg", "Law.wsum_E_one",
        "Law.mixture_E", "Law.mean_mixture", "Law.hasMoment2_mixture", "Law.hasMoment4_mixture",
        "Law.variance_mixture", "Law.cmoment_four_mixture",
        "Law.cmoment_four_mixture_eq_seed004_add", "Law.cmoment_four_mixture_eq_seed004_iff"],
}

#: The same numeric property checked on finite laws: theorems about every law are linked to the
#: check of their finite twin too (a finite law is a model of the interface: ``Law.ofFinite``).
_FINITE_TWINS: dict[str, list[str]] = {
    "prop.expect.linearity": ["Law.ofFinite_E", "Law.E_const", "Law.E_congr"],
    "prop.expect.order": ["Law.E_mono"],
    "prop.mse.decomposition": ["Law.mse_eq_clipError_add_innerError", "Law.ofFinite_mse",
                               "Law.ofFinite_clipError",
                               "mse_eq_clipError_add_innerError_of_isDist"],
    "prop.mse.inner_bound": ["Law.innerError_le"],
    "prop.convex.clip_error": ["Law.convexOn_clipError"],
    "prop.convex.antitone": ["Law.clipError_antitone"],
    "prop.convex.model": ["Law.convexOn_modelMSE", "Law.strictConvexOn_modelMSE",
                          "Law.modelMSE_minimizer_unique"],
    "prop.optimality.fixed_point": ["Law.modelMSE_le_quadratic",
                                    "Law.modelMSE_minimizer_fixed_point",
                                    "Law.modelMSE_minimizer_fixed_point'"],
    "prop.moments": ["Law.E_sub_mean", "Law.E_sq_shift", "Law.E_pow_four_shift",
                     "Law.variance_eq", "Law.sq_variance_le_fourth", "Law.neg_two_le_kurtosis",
                     "neg_two_le_kurtosis_of_isDist", "Law.ofFinite_cmoment",
                     "Law.ofFinite_hasMoment2", "Law.ofFinite_hasMoment4"],
    "prop.mixture.moments": ["Law.variance_mixture", "Law.cmoment_four_mixture",
                             "Law.mean_mixture", "Law.mixture_E"],
    "prop.mixture.seed004_defect": ["Law.cmoment_four_mixture_eq_seed004_add",
                                    "Law.cmoment_four_mixture_eq_seed004_iff"],
}
for _cid, _names in _FINITE_TWINS.items():
    CHECK_THEOREMS[_cid] = CHECK_THEOREMS[_cid] + _names

#: Which laws a theorem covers, as the report's theorem list shows it (:func:`law_scope`).
#: ``every law`` means every model of the interface ``LaAciq.Law``: finite laws through
#: ``Law.ofFinite`` (checked by the compiler) and Lebesgue integration against a probability
#: measure with finite moments (the Mathlib model in ``Law``'s docstring: written, not checked).
SCOPES = ("every law", "finite laws", "no law")

#: Modules whose expectation-level theorems are about finite atom lists (``IsDist``).
_FINITE_MODULES = ("Distribution", "MSE", "Mixture", "Convexity", "Optimality", "Refutations",
                   "Conjectures", "Existence", "Candidates", "RefutationsOptimal", "OutputError",
                   "AsymGrid")
#: Modules whose theorems are about every law.
_LAW_MODULES = ("Law", "LawTheory")
#: Theorems in those modules that are pointwise statements about scalars (no law involved).
_POINTWISE = frozenset({
    # MSE, Convexity, Optimality, Mixture, Refutations
    "sq_le_sq_of_abs_le", "sq_sub_quantize_eq", "sq_convex_comb_le", "sq_le_sq_of_nonneg_of_le",
    "posPart_le_of_le_of_nonneg", "convexOn_sq_posPart", "sq_posPart_antitone",
    "convexOn_const_mul_sq", "strictConvexOn_const_mul_sq", "const_mul_sq_mono",
    "sq_posPart_sub_le", "eq_zero_of_forall_nonneg", "kurtosis_linear_example",
    "claim_grid_two_pow_false", "step_two", "roundS_eq", "roundS_eq_zero", "roundS_eq_one",
    "roundS_eq_neg_one", "quantize_two_of_abs_le", "claim_step_false",
    "claim_clip_le_alpha_false", "quantize_zero", "claim_quantize_odd_false",
    # Existence, Candidates, RefutationsOptimal
    "absS_nonneg", "absS_pos", "div_pos_of_pos", "posPart_ge_tail", "sq_posPart_ge",
    "exists_max_of_pred", "sq_sub_roundS_le", "sq_sub_mul_roundS_le", "quantize_eq_code",
    "code_mem", "sq_sub_quantize_le_grid", "code_mul_le", "mem_codeRange", "exists_min_of_list",
    "roundS_le_of_halves", "roundS_eq_of_halves", "code_eq_of_no_breakpoint", "code_of_alpha_le",
    "mul_le_of_le_div_of_pos",
    "levels_le_levels_succ", "step_bit_up", "bit_up_pos", "sq_sub_quantize_bit_up",
    "step_of_levels_eq", "natCast_three", "natCast_seven", "intCast_two",
    "eq_zero_of_sq_eq_zero", "one_le_sq_of", "code_two_cases", "one_le_sq_sub_quantize_two",
    # OutputError, AsymGrid (rows, matrices and grids: no law)
    "sumTo_zero", "sumTo_succ", "sumTo_congr", "sumTo_add", "sumTo_lin3", "sumTo_nonneg",
    "qform_sub_smul",
    "outErr_eq_outGridErr", "outGridErr_eq", "div_lt_of_lt_mul_of_pos", "quantize_two_of_half_le",
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
    "Law.absS_le_sq_add_one", "Law.sq_le_pow_four_add_one", "Law.absS_pow_three_le",
    "Law.absS_sq", "Law.posPart_nonneg", "Law.posPart_le",
    "Law.sq_posPart_le", "Law.posPart_eq_tail", "Law.indicator_nonneg", "Law.indicator_le_one",
    "Law.tailIndicator_nonneg", "Law.tailIndicator_le_one", "Law.tailAbs_nonneg",
    "Law.tailAbs_le", "Law.sq_sub_quantize_le_of_abs_le", "Law.innerPart_nonneg",
    "Law.innerPart_le_const", "Law.innerPart_le"})
#: Theorems in the law modules that are about finite laws (corollaries through ``ofFinite``).
_FINITE_COROLLARIES = frozenset({
    "Law.ofFinite_E", "Law.ofFinite_hasMoment2", "Law.ofFinite_hasMoment4", "Law.ofFinite_mse",
    "Law.ofFinite_clipError", "Law.ofFinite_cmoment",
    "mse_eq_clipError_add_innerError_of_isDist", "neg_two_le_kurtosis_of_isDist"})

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


def theorem_checks() -> dict[str, list[str]]:
    """``{"LaAciq.<theorem>": sorted check ids}``."""
    out: dict[str, set[str]] = {}
    for cid, names in CHECK_THEOREMS.items():
        for n in names:
            out.setdefault(f"{NAMESPACE}.{n}", set()).add(cid)
    return {k: sorted(v) for k, v in sorted(out.items())}


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
    """Every check id the registry names."""
    return set(CHECK_THEOREMS)
