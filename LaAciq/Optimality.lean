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
* `modelMSE_le_quadratic`: `f(α + t) ≤ f(α) - 2t·E[(|X| - α)₊] + t² + c((α + t)² - α²)`.
* `eq_zero_of_forall_nonneg`: `(∀ t, 0 ≤ D·t + Q·t²) → Q > 0 → D = 0`.
* `modelMSE_minimizer_fixed_point`: `c · α = E[(|X| - α)₊]` at a global minimizer.
* `modelMSE_minimizer_fixed_point'`: `α · (c + P(|X| > α)) = E[|X|; |X| > α]`.
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

/-- The model MSE lies below a quadratic in the shift `t`:
`f(α + t) ≤ f(α) - 2t·E[(|X| - α)₊] + t² + c((α + t)² - α²)`. -/
theorem modelMSE_le_quadratic {l : List (K × K)} (hl : IsDist l) (c a t : K) :
    modelMSE l c (a + t) ≤ modelMSE l c a - 2 * t * expect l (fun x => maxS (absS x - a) 0)
      + t ^ 2 + c * ((a + t) ^ 2 - a ^ 2) := by
  unfold modelMSE clipError
  have h := expect_mono hl.1 (f := fun x => maxS (absS x - (a + t)) 0 ^ 2)
    (g := fun x => maxS (absS x - a) 0 ^ 2 + ((-2 * t) * maxS (absS x - a) 0 + t ^ 2))
    (fun x => by have := sq_posPart_sub_le (absS x) a t; grind)
  rw [expect_add, expect_add, expect_const_mul, expect_const hl] at h
  grind

/-- **First-order condition of the model MSE**: a global minimizer `α` of
`E[((|X| - α)₊)²] + c·α²` (`c ≥ 0`) satisfies `c · α = E[(|X| - α)₊]`.
Seed 004: «Taking derivative of MSE: dMSE/dα = dE_clip/dα + dE_quant/dα = 0». -/
theorem modelMSE_minimizer_fixed_point {l : List (K × K)} (hl : IsDist l) {c : K} (hc : 0 ≤ c)
    {a : K} (ha : ∀ z, modelMSE l c a ≤ modelMSE l c z) :
    c * a = expect l (fun x => maxS (absS x - a) 0) := by
  have hK : (0 : K) < 1 + c := by
    have := Lean.Grind.OrderedRing.zero_lt_one (R := K); grind
  have hD := eq_zero_of_forall_nonneg hK
    (D := 2 * (c * a - expect l (fun x => maxS (absS x - a) 0))) (fun t => by
      have h1 := modelMSE_le_quadratic hl c a t
      have h2 := ha (a + t)
      grind)
  grind

/-- The fixed-point form `α · (c + P(|X| > α)) = E[|X|; |X| > α]` (OCTAV's iteration) at a
global minimizer of the model MSE. -/
theorem modelMSE_minimizer_fixed_point' {l : List (K × K)} (hl : IsDist l) {c : K}
    (hc : 0 ≤ c) {a : K} (ha : ∀ z, modelMSE l c a ≤ modelMSE l c z) :
    a * (c + expect l (fun x => if absS x ≤ a then 0 else 1))
      = expect l (fun x => if absS x ≤ a then 0 else absS x) := by
  have h := modelMSE_minimizer_fixed_point hl hc ha
  have e : (fun x => maxS (absS x - a) 0) = (fun x => (if absS x ≤ a then 0 else absS x)
      + (-a) * (if absS x ≤ a then 0 else 1)) := by
    funext x
    have := maxS_cases (absS x - a) 0
    grind
  rw [e, expect_add, expect_const_mul] at h
  grind

end Optimality

end LaAciq
