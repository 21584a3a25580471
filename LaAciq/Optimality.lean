/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Convexity

/-!
# The first-order condition of the model MSE, without calculus

For a finite law and `c ≥ 0`, a global minimizer `α` of the Banner-type model
`f(α) = E[((|X| - α)₊)²] + c·α²` satisfies the fixed-point equation

    c · α = E[(|X| - α)₊],   i.e.   α · (c + P(|X| > α)) = E[|X|; |X| > α],

which is the iteration OCTAV runs and the equation the exact solver resolves. The proof needs no
derivative: pointwise `((u - α - t)₊)² ≤ ((u - α)₊ - t)²`, so `f(α + t)` lies below a quadratic in
`t` that equals `f(α)` at `t = 0`; a quadratic that stays above its value at `0` has zero slope
there.

## Main results

* `sq_posPart_sub_le`: `((u - (α + t))₊)² ≤ ((u - α)₊ - t)²`.
* `eq_zero_of_forall_nonneg`: `(∀ t, 0 ≤ D·t + Q·t²) → Q > 0 → D = 0`.

The theorems these two lemmas serve are proved once, for every law, in `LaAciq.LawTheory`
(`Law.modelMSE_le_quadratic`, `Law.modelMSE_minimizer_fixed_point`,
`Law.modelMSE_minimizer_fixed_point'`); the finite forms `modelMSE_le_quadratic`,
`modelMSE_minimizer_fixed_point` and `modelMSE_minimizer_fixed_point'` (an atom list with
`IsDist`: the same hypotheses) are read off there through `Law.ofFinite`.
-/

@[expose] public section

namespace LaAciq

section Optimality

variable {K : Type} [OrderedField K]

/-- Pointwise bound behind the first-order condition: `((u - (α + t))₊)² ≤ ((u - α)₊ - t)²`. -/
theorem sq_posPart_sub_le (u a t : K) :
    maxS (u - (a + t)) 0 ^ 2 ≤ (maxS (u - a) 0 - t) ^ 2 := by
  have h1 := Lean.Grind.OrderedRing.sq_nonneg (a := maxS (u - a) 0 - t)
  by_cases hp : u - a ≤ 0
  · have hm : maxS (u - a) 0 = 0 := maxS_eq_right (by grind)
    by_cases hq : u - (a + t) ≤ 0
    · have hz : maxS (u - (a + t)) 0 = 0 := maxS_eq_right (by grind)
      rw [hz]; grind
    · have hz : maxS (u - (a + t)) 0 = u - (a + t) := maxS_eq_left (by grind)
      have := sq_le_sq_of_nonneg_of_le (u := u - (a + t)) (v := -t) (by grind) (by grind)
      rw [hz, hm]; grind
  · have hm : maxS (u - a) 0 = u - a := maxS_eq_left (by grind)
    by_cases hq : u - (a + t) ≤ 0
    · have hz : maxS (u - (a + t)) 0 = 0 := maxS_eq_right (by grind)
      rw [hz]; grind
    · have hz : maxS (u - (a + t)) 0 = u - (a + t) := maxS_eq_left (by grind)
      rw [hz, hm]; grind

/-- A quadratic `D·t + Q·t²` with `Q > 0` that is never negative has `D = 0`. -/
theorem eq_zero_of_forall_nonneg {D Q : K} (hQ : 0 < Q) (h : ∀ t : K, 0 ≤ D * t + Q * t ^ 2) :
    D = 0 := by
  have h0 := h (-D / (2 * Q))
  have e : D * (-D / (2 * Q)) + Q * (-D / (2 * Q)) ^ 2 = -(D ^ 2) / (4 * Q) := by grind
  rw [e] at h0
  have m := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h0
    (by grind : (0 : K) ≤ 4 * Q)
  have e₂ : 4 * Q * (-(D ^ 2) / (4 * Q)) = -(D ^ 2) := by grind
  rw [e₂] at m
  have hD : D ^ 2 ≤ 0 := by grind
  by_cases hd : D = 0
  · exact hd
  · have := Lean.Grind.OrderedRing.sq_pos hd
    grind

end Optimality

end LaAciq
