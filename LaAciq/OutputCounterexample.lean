/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.OutputError

/-!
# The layer-output objective: a counterexample to attainment with half-up rounding

The layer-output error `outErr n H w α B = eᵀ H e` (`LaAciq.OutputError`) between breakpoints is
a quadratic in the step; at a breakpoint half-up rounding picks one of the two nearest codes, and
with cross terms in `H` the value *at* the breakpoint can exceed the limit from the neighbouring
piece.

**The counterexample** (`B = 2`, `w = (7/10, -17/10)`, `H = [[1, 3/5], [3/5, 1]]`, positive
semidefinite: `exH_psd`). On `α ∈ (7/5, 17/5)` the codes are `(0, -1)` (`exOut_code_piece`) and the
error is `41/125 + 6/25·(α - 7/5) + (α - 7/5)²` (`exOut_err_piece`); at `α = 7/5` the codes are
`(1, -1)` and the error is `104/125` (`exOut_code_tie`, `exOut_err_tie`). The infimum `41/125` is
not attained: every `α > 0` has error `> 41/125`, and every `ε > 0` some `α` with error
`< 41/125 + ε` (`exOut_inf_not_attained`). So the fixed-rounding objective need not have a
minimizer (`claim_outErr_exists_minimizer_false`), unlike the MSE (`mse_exists_minimizer`). The
mirrored row `(-7/10, 17/10)` attains `41/125` at `α = 7/5` (`exOutMirror_isMin`): the failure
comes from half-up's asymmetry. A free choice among nearest codes at the tie reaches `41/125`
(`exOut_tie_choice`).

## Main results

* `quantize_two_of_half_le`, `quantize_two_of_lt_half`, `quantize_two_of_lt_neg_half`: two-bit
  rounding on either side of a tie.
* `exOut_inf_not_attained`, `claim_outErr_exists_minimizer_false`: the infimum `41/125` is not
  attained.
* `exOutMirror_isMin`, `exOut_tie_choice`: the mirrored row, and a free tie choice, reach it.
-/

@[expose] public section

namespace LaAciq

attribute [local instance] Lean.Grind.Semiring.natCast Lean.Grind.Ring.intCast

/-! ### Two-bit rounding on either side of a tie -/

section TwoBits

variable {K : Type} [OrderedField K] [IntFloor K]

/-- At two bits `Q x = α` once `2x ≥ α` (a tie rounds up). -/
theorem quantize_two_of_half_le {a x : K} (ha : 0 < a) (h : a ≤ 2 * x) : quantize a 2 x = a := by
  by_cases hx : a ≤ x
  · exact quantize_of_alpha_le ha (by decide) hx
  · have h1 : 1 / 2 ≤ x / a := le_div_of_mul_le_of_pos ha (by grind)
    have h2 : x / a ≤ 1 := div_le_of_le_mul_of_pos ha (by grind)
    rw [quantize_two_of_abs_le (by grind) (by grind), roundS_eq_one h1 (by grind),
      Lean.Grind.Ring.intCast_one]
    grind

/-- At two bits `Q x = 0` for `-α ≤ 2x < α`. -/
theorem quantize_two_of_lt_half {a x : K} (ha : 0 < a) (h₁ : -a ≤ 2 * x) (h₂ : 2 * x < a) :
    quantize a 2 x = 0 := by
  have h1 : -(1 / 2) ≤ x / a := le_div_of_mul_le_of_pos ha (by grind)
  have h2 : x / a < 1 / 2 := div_lt_of_lt_mul_of_pos ha (by grind)
  rw [quantize_two_of_abs_le (by grind) (by grind), roundS_eq_zero h1 h2,
    Lean.Grind.Ring.intCast_zero]
  grind

/-- At two bits `Q x = -α` for `2x < -α`. -/
theorem quantize_two_of_lt_neg_half {a x : K} (ha : 0 < a) (h : 2 * x < -a) :
    quantize a 2 x = -a := by
  by_cases hx : x ≤ -a
  · exact quantize_of_le_neg_alpha ha (by decide) hx
  · have h1 : -1 ≤ x / a := le_div_of_mul_le_of_pos ha (by grind)
    have h2 : x / a < -(1 / 2) := div_lt_of_lt_mul_of_pos ha (by grind)
    rw [quantize_two_of_abs_le (by grind) (by grind), roundS_eq_neg_one (by grind) h2,
      Lean.Grind.Ring.intCast_neg, Lean.Grind.Ring.intCast_one]
    grind

end TwoBits

/-! ### The counterexample: `w = (7/10, -17/10)`, `H = [[1, 3/5], [3/5, 1]]`, `B = 2` -/

section ExampleForms

variable {K : Type} [OrderedField K]

/-- The example's matrix `[[1, 3/5], [3/5, 1]]`. -/
def exH (i j : Nat) : K := if i = j then 1 else 3 / 5

/-- The example's row `(7/10, -17/10)`. -/
def exW (i : Nat) : K := if i = 0 then 7 / 10 else -17 / 10

/-- The mirrored row `(-7/10, 17/10)`. -/
def exWm (i : Nat) : K := if i = 0 then -7 / 10 else 17 / 10

/-- A `2 × 2` form written out. -/
theorem qform_two (H : Nat → Nat → K) (e : Nat → K) :
    qform 2 H e = e 0 * H 0 0 * e 0 + e 0 * H 0 1 * e 1 + e 1 * H 1 0 * e 0
      + e 1 * H 1 1 * e 1 := by
  unfold qform bilin
  simp only [sumTo_succ, sumTo_zero]
  grind

/-- The example's form: `e₀² + (6/5)·e₀e₁ + e₁²`. -/
theorem qform_exH (e : Nat → K) : qform 2 exH e = e 0 ^ 2 + 6 / 5 * (e 0 * e 1) + e 1 ^ 2 := by
  rw [qform_two]
  have h00 : (exH 0 0 : K) = 1 := rfl
  have h01 : (exH 0 1 : K) = 3 / 5 := rfl
  have h10 : (exH 1 0 : K) = 3 / 5 := rfl
  have h11 : (exH 1 1 : K) = 1 := rfl
  rw [h00, h01, h10, h11]
  grind

/-- The example's matrix is positive semidefinite: `eᵀHe = (e₀ + 3/5·e₁)² + 16/25·e₁²`. -/
theorem exH_psd (e : Nat → K) : 0 ≤ qform 2 exH e := by
  rw [qform_exH]
  have h1 := Lean.Grind.OrderedRing.sq_nonneg (a := e 0 + 3 / 5 * e 1)
  have h2 := Lean.Grind.OrderedRing.sq_nonneg (a := e 1)
  grind

/-- The tie codes `(0, -1)` of the example (the first entry takes the lower nearest code). -/
def exK (i : Nat) : K := if i = 0 then 0 else -1

/-- **A free choice at the tie reaches the infimum**: at `α = 7/5` the codes `(0, -1)` are nearest
codes of `(7/10, -17/10)` on `{-1, 0, 1}` (for `7/10` a tie: `0` and `1` are equally near), and
with them the error is `41/125`, below every value of the fixed rounding (`exOut_err_gt`). -/
theorem exOut_tie_choice :
    (∀ j : Int, -1 ≤ j → j ≤ 1 →
      ((7 / 10 : K) - 7 / 5 * ((0 : Int) : K)) ^ 2 ≤ (7 / 10 - 7 / 5 * ((j : Int) : K)) ^ 2 ∧
      ((-17 / 10 : K) - 7 / 5 * ((-1 : Int) : K)) ^ 2
        ≤ (-17 / 10 - 7 / 5 * ((j : Int) : K)) ^ 2) ∧
    outGridErr 2 exH exW exK (7 / 5 : K) = 41 / 125 := by
  refine ⟨fun j h₁ h₂ => ?_, ?_⟩
  · have hj : j = -1 ∨ j = 0 ∨ j = 1 := by omega
    have c0 := Lean.Grind.Ring.intCast_zero (α := K)
    have c1 := Lean.Grind.Ring.intCast_one (α := K)
    have cn := Lean.Grind.Ring.intCast_neg (α := K) 1
    rcases hj with rfl | rfl | rfl <;> constructor <;> grind
  · have e : outGridErr 2 exH exW exK (7 / 5 : K)
        = ((7 / 10 : K) - 7 / 5 * exK 0) ^ 2
          + 6 / 5 * ((7 / 10 - 7 / 5 * exK 0) * (-17 / 10 - 7 / 5 * exK 1))
          + (-17 / 10 - 7 / 5 * exK 1) ^ 2 := by
      unfold outGridErr
      rw [qform_exH]
      rfl
    have k0 : (exK 0 : K) = 0 := rfl
    have k1 : (exK 1 : K) = -1 := rfl
    rw [e, k0, k1]
    grind

end ExampleForms

section Example

variable {K : Type} [OrderedField K] [IntFloor K]

/-- The example's error, written out in the two quantized entries. -/
theorem exOut_err_eq (a : K) :
    outErr 2 exH exW a 2 = (7 / 10 - quantize a 2 (7 / 10)) ^ 2
      + 6 / 5 * ((7 / 10 - quantize a 2 (7 / 10)) * (-17 / 10 - quantize a 2 (-17 / 10)))
      + (-17 / 10 - quantize a 2 (-17 / 10)) ^ 2 := by
  unfold outErr
  rw [qform_exH]
  rfl

/-- The mirrored error, written out. -/
theorem exOutMirror_err_eq (a : K) :
    outErr 2 exH exWm a 2 = (-7 / 10 - quantize a 2 (-7 / 10)) ^ 2
      + 6 / 5 * ((-7 / 10 - quantize a 2 (-7 / 10)) * (17 / 10 - quantize a 2 (17 / 10)))
      + (17 / 10 - quantize a 2 (17 / 10)) ^ 2 := by
  unfold outErr
  rw [qform_exH]
  rfl

/-- Up to the tie, `α ≤ 7/5`, both entries round away from zero: codes `(1, -1)`, error
`4/5 + 4/5·(6/5 - α)² ≥ 4/5`. -/
theorem exOut_err_of_le {a : K} (ha : 0 < a) (h : a ≤ 7 / 5) :
    outErr 2 exH exW a 2 = 4 / 5 + 4 / 5 * (6 / 5 - a) ^ 2 := by
  rw [exOut_err_eq, quantize_two_of_half_le (x := (7 / 10 : K)) ha (by grind),
    quantize_two_of_lt_neg_half (x := (-17 / 10 : K)) ha (by grind)]
  grind

/-- **Codes on the open piece** `7/5 < α < 17/5`: `(0, -1)`. -/
theorem exOut_code_piece {a : K} (h₁ : 7 / 5 < a) (h₂ : a < 17 / 5) :
    quantize a 2 (7 / 10) = step a 2 * ((0 : Int) : K)
      ∧ quantize a 2 (-17 / 10) = step a 2 * ((-1 : Int) : K) := by
  have ha : 0 < a := by grind
  rw [step_two, quantize_two_of_lt_half (x := (7 / 10 : K)) ha (by grind) (by grind),
    quantize_two_of_lt_neg_half (x := (-17 / 10 : K)) ha (by grind),
    Lean.Grind.Ring.intCast_zero,
    Lean.Grind.Ring.intCast_neg, Lean.Grind.Ring.intCast_one]
  constructor <;> grind

/-- **The error on the open piece** `7/5 < α < 17/5`: `41/125 + 6/25·(α - 7/5) + (α - 7/5)²`. -/
theorem exOut_err_piece {a : K} (h₁ : 7 / 5 < a) (h₂ : a < 17 / 5) :
    outErr 2 exH exW a 2 = 41 / 125 + 6 / 25 * (a - 7 / 5) + (a - 7 / 5) ^ 2 := by
  have ha : 0 < a := by grind
  rw [exOut_err_eq, quantize_two_of_lt_half (x := (7 / 10 : K)) ha (by grind) (by grind),
    quantize_two_of_lt_neg_half (x := (-17 / 10 : K)) ha (by grind)]
  grind

/-- **Codes at the tie** `α = 7/5`: `(1, -1)` (half-up rounds `1/2` to `1`). -/
theorem exOut_code_tie :
    quantize (7 / 5 : K) 2 (7 / 10) = step (7 / 5 : K) 2 * ((1 : Int) : K)
      ∧ quantize (7 / 5 : K) 2 (-17 / 10) = step (7 / 5 : K) 2 * ((-1 : Int) : K) := by
  have ha : (0 : K) < 7 / 5 := by grind
  rw [step_two, quantize_two_of_half_le (x := (7 / 10 : K)) ha (by grind),
    quantize_two_of_lt_neg_half (x := (-17 / 10 : K)) ha (by grind),
    Lean.Grind.Ring.intCast_neg, Lean.Grind.Ring.intCast_one]
  constructor <;> grind

/-- **The error at the tie** `α = 7/5` is `104/125`, above the piece's limit `41/125`. -/
theorem exOut_err_tie : outErr 2 exH exW (7 / 5 : K) 2 = 104 / 125 := by
  rw [exOut_err_of_le (a := (7 / 5 : K)) (by grind) (by grind)]
  grind

/-- Beyond the piece, `α ≥ 17/5`, both codes are `0` and the error is `wᵀHw = 244/125`. -/
theorem exOut_err_of_ge {a : K} (h : 17 / 5 ≤ a) : outErr 2 exH exW a 2 = 244 / 125 := by
  have ha : 0 < a := by grind
  rw [exOut_err_eq, quantize_two_of_lt_half (x := (7 / 10 : K)) ha (by grind) (by grind),
    quantize_two_of_lt_half (x := (-17 / 10 : K)) ha (by grind) (by grind)]
  grind

/-- Every `α > 0` has error strictly above `41/125`. -/
theorem exOut_err_gt {a : K} (ha : 0 < a) : 41 / 125 < outErr 2 exH exW a 2 := by
  by_cases h₁ : a ≤ 7 / 5
  · rw [exOut_err_of_le ha h₁]
    have := Lean.Grind.OrderedRing.sq_nonneg (a := 6 / 5 - a)
    grind
  · by_cases h₂ : a < 17 / 5
    · rw [exOut_err_piece (by grind) h₂]
      have := Lean.Grind.OrderedRing.sq_nonneg (a := a - 7 / 5)
      grind
    · rw [exOut_err_of_ge (by grind)]
      grind

/-- Steps just above the tie come arbitrarily close to `41/125`. -/
theorem exOut_err_lt {ε : K} (hε : 0 < ε) :
    ∃ a, 7 / 5 < a ∧ a < 17 / 5 ∧ outErr 2 exH exW a 2 < 41 / 125 + ε := by
  by_cases h : 1 ≤ ε
  · refine ⟨7 / 5 + 1 / 4, by grind, by grind, ?_⟩
    rw [exOut_err_piece (by grind) (by grind)]
    grind
  · refine ⟨7 / 5 + ε / 2, by grind, by grind, ?_⟩
    rw [exOut_err_piece (by grind) (by grind)]
    have m := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left (show ε < 1 by grind) hε
    grind

/-- **The infimum `41/125` is not attained**: every `α > 0` has error `> 41/125`, and for every
`ε > 0` some `α > 0` has error `< 41/125 + ε`. -/
theorem exOut_inf_not_attained :
    (∀ a : K, 0 < a → 41 / 125 < outErr 2 exH exW a 2)
      ∧ ∀ ε : K, 0 < ε → ∃ a, 0 < a ∧ outErr 2 exH exW a 2 < 41 / 125 + ε := by
  refine ⟨fun a ha => exOut_err_gt ha, fun ε hε => ?_⟩
  obtain ⟨a, h₁, _, h⟩ := exOut_err_lt hε
  exact ⟨a, by grind, h⟩

/-- **The fixed-rounding output error need not attain its minimum**, even for positive
semidefinite `H` (the analogue of `mse_exists_minimizer` fails). -/
theorem claim_outErr_exists_minimizer_false :
    ¬ ∀ (n : Nat) (H : Nat → Nat → K) (w : Nat → K) (B : Nat), 2 ≤ B →
      (∀ e, 0 ≤ qform n H e) →
      ∃ a : K, 0 < a ∧ ∀ b, 0 < b → outErr n H w a B ≤ outErr n H w b B := by
  intro h
  obtain ⟨a, ha, hmin⟩ := h 2 exH exW 2 (by decide) exH_psd
  have hgt := exOut_err_gt ha
  obtain ⟨b, hb, hlt⟩ := (exOut_inf_not_attained (K := K)).2
    (outErr 2 exH exW a 2 - 41 / 125) (by grind)
  have := hmin b hb
  grind

/-- The mirrored row at the tie `α = 7/5`: codes `(0, 1)`, error `41/125`. -/
theorem exOutMirror_err_tie : outErr 2 exH exWm (7 / 5 : K) 2 = 41 / 125 := by
  have ha : (0 : K) < 7 / 5 := by grind
  rw [exOutMirror_err_eq, quantize_two_of_lt_half (x := (-7 / 10 : K)) ha (by grind) (by grind),
    quantize_two_of_half_le (x := (17 / 10 : K)) ha (by grind)]
  grind

/-- **The mirrored row attains `41/125`**: at `α = 7/5` it is least over all `α > 0`. -/
theorem exOutMirror_isMin {a : K} (ha : 0 < a) :
    outErr 2 exH exWm (7 / 5 : K) 2 ≤ outErr 2 exH exWm a 2 := by
  rw [exOutMirror_err_tie, exOutMirror_err_eq]
  by_cases h₁ : a < 7 / 5
  · rw [quantize_two_of_lt_neg_half (x := (-7 / 10 : K)) ha (by grind),
      quantize_two_of_half_le (x := (17 / 10 : K)) ha (by grind)]
    have := Lean.Grind.OrderedRing.sq_nonneg (a := 6 / 5 - a)
    grind
  · by_cases h₂ : a ≤ 17 / 5
    · rw [quantize_two_of_lt_half (x := (-7 / 10 : K)) ha (by grind) (by grind),
        quantize_two_of_half_le (x := (17 / 10 : K)) ha (by grind)]
      have := Lean.Grind.OrderedRing.sq_nonneg (a := a - 7 / 5)
      grind
    · rw [quantize_two_of_lt_half (x := (-7 / 10 : K)) ha (by grind) (by grind),
        quantize_two_of_lt_half (x := (17 / 10 : K)) ha (by grind) (by grind)]
      grind

end Example

end LaAciq
