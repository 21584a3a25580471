/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.MSE

/-!
# Convexity of the clipping objectives

`ConvexOn s f` has the shape of Mathlib's `ConvexOn 𝕜 s f` (`Convex 𝕜 s ∧ ∀ ⦃x⦄, x ∈ s → ∀ ⦃y⦄,
y ∈ s → ∀ ⦃a b⦄, 0 ≤ a → 0 ≤ b → a + b = 1 → f (a • x + b • y) ≤ a • f x + b • f y`) without the
convexity of `s` (an interval here); `StrictConvexOn` likewise.

The clipping error is convex and antitone in `α`; the Banner-type model `clipError + c·α²` is
convex on `[0, ∞)`, strictly when `c > 0`, so it has at most one minimizer. Seed 004's noise
term `α²·P(|X| ≤ α)` is monotone. The **true** MSE is not convex (refutation module).

## Main results

* `convexOn_sq_posPart`, `sq_posPart_antitone`: `α ↦ ((t - α)₊)²` is convex and antitone.
* `convexOn_clipError`, `clipError_antitone`.
* `convexOn_const_mul_sq`, `const_mul_sq_mono`, `strictConvexOn_const_mul_sq`.
* `convexOn_modelMSE`, `strictConvexOn_modelMSE`, `modelMSE_minimizer_unique`.
* `sq_mul_probInside_mono`: seed 004's noise term is monotone on `[0, ∞)`.
-/

@[expose] public section

namespace LaAciq

section Convexity

variable {K : Type} [OrderedField K]

/-- Convexity on a set, Mathlib's `ConvexOn` shape. -/
def ConvexOn (s : K → Prop) (f : K → K) : Prop :=
  ∀ x y, s x → s y → ∀ a b : K, 0 ≤ a → 0 ≤ b → a + b = 1 →
    f (a * x + b * y) ≤ a * f x + b * f y

/-- Strict convexity on a set, Mathlib's `StrictConvexOn` shape. -/
def StrictConvexOn (s : K → Prop) (f : K → K) : Prop :=
  ∀ x y, s x → s y → x ≠ y → ∀ a b : K, 0 < a → 0 < b → a + b = 1 →
    f (a * x + b * y) < a * f x + b * f y

/-- `z₊ ≤ s` when `z ≤ s` and `0 ≤ s`. -/
theorem posPart_le_of_le_of_nonneg {z s : K} (h₁ : z ≤ s) (h₂ : 0 ≤ s) : maxS z 0 ≤ s :=
  maxS_le_iff.mpr ⟨h₁, h₂⟩

/-- `α ↦ ((t - α)₊)²` is convex. Seed 004: «E_clip is convex (second derivative ≥ 0)». -/
theorem convexOn_sq_posPart (t : K) :
    ConvexOn (fun _ => True) (fun a => maxS (t - a) 0 ^ 2) := by
  intro x y _ _ a b ha hb hab
  have hu : 0 ≤ maxS (t - x) 0 := le_maxS_right _ _
  have hv : 0 ≤ maxS (t - y) 0 := le_maxS_right _ _
  have hu' : t - x ≤ maxS (t - x) 0 := le_maxS_left _ _
  have hv' : t - y ≤ maxS (t - y) 0 := le_maxS_left _ _
  have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hu' ha
  have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hv' hb
  have n₁ := Lean.Grind.OrderedRing.mul_nonneg ha hu
  have n₂ := Lean.Grind.OrderedRing.mul_nonneg hb hv
  have e : t - (a * x + b * y) = a * (t - x) + b * (t - y) := by
    have hb' : b = 1 - a := by grind
    subst hb'; grind
  have hm : maxS (t - (a * x + b * y)) 0 ≤ a * maxS (t - x) 0 + b * maxS (t - y) 0 :=
    posPart_le_of_le_of_nonneg (by rw [e]; grind) (by grind)
  have hm0 : 0 ≤ maxS (t - (a * x + b * y)) 0 := le_maxS_right _ _
  have := sq_le_sq_of_nonneg_of_le hm0 hm
  have := sq_convex_comb_le ha hb hab (maxS (t - x) 0) (maxS (t - y) 0)
  grind

/-- `α ↦ ((t - α)₊)²` is antitone. -/
theorem sq_posPart_antitone (t : K) {x y : K} (h : x ≤ y) :
    maxS (t - y) 0 ^ 2 ≤ maxS (t - x) 0 ^ 2 := by
  have h0 : 0 ≤ maxS (t - y) 0 := le_maxS_right _ _
  have h1 : maxS (t - y) 0 ≤ maxS (t - x) 0 :=
    maxS_le_iff.mpr ⟨by have := le_maxS_left (t - x) 0; grind, le_maxS_right _ _⟩
  exact sq_le_sq_of_nonneg_of_le h0 h1

/-- The clipping error is convex in `α`. Seed 004: «E_clip is convex (second derivative ≥ 0)». -/
theorem convexOn_clipError {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) :
    ConvexOn (fun _ => True) (fun a => clipError l a) := by
  intro x y _ _ a b ha hb hab
  unfold clipError
  rw [← expect_const_mul, ← expect_const_mul, ← expect_add]
  exact expect_mono hw (fun z =>
    convexOn_sq_posPart (absS z) x y trivial trivial a b ha hb hab)

/-- The clipping error is antitone in `α`. Seed 004: «`clippingError_antitone` | ∂E_c/∂α < 0». -/
theorem clipError_antitone {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {x y : K} (h : x ≤ y) :
    clipError l y ≤ clipError l x :=
  expect_mono hw (fun z => sq_posPart_antitone (absS z) h)

/-- `c·α²` is convex for `c ≥ 0`. Seed 004: «E_quant is convex (quadratic in α via Δ)». -/
theorem convexOn_const_mul_sq {c : K} (hc : 0 ≤ c) :
    ConvexOn (fun _ => True) (fun a => c * a ^ 2) := by
  intro x y _ _ a b ha hb hab
  have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left (sq_convex_comb_le ha hb hab x y) hc
  grind

/-- `c·α²` is strictly convex for `c > 0`. -/
theorem strictConvexOn_const_mul_sq {c : K} (hc : 0 < c) :
    StrictConvexOn (fun _ => True) (fun a => c * a ^ 2) := by
  intro x y _ _ hxy a b ha hb hab
  have hsq := Lean.Grind.OrderedRing.sq_pos (a := x - y) (by grind)
  have hp := Lean.Grind.OrderedRing.mul_pos (Lean.Grind.OrderedRing.mul_pos
    (Lean.Grind.OrderedRing.mul_pos ha hb) hsq) hc
  have e : a * (c * x ^ 2) + b * (c * y ^ 2) - c * (a * x + b * y) ^ 2
      = a * b * (x - y) ^ 2 * c := by
    have hb' : b = 1 - a := by grind
    subst hb'; grind
  grind

/-- `c·α²` is monotone on `[0, ∞)` for `c ≥ 0`. -/
theorem const_mul_sq_mono {c : K} (hc : 0 ≤ c) {x y : K} (hx : 0 ≤ x) (h : x ≤ y) :
    c * x ^ 2 ≤ c * y ^ 2 :=
  Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left (sq_le_sq_of_nonneg_of_le hx h) hc

/-- The Banner-type model MSE `clipError + c·α²` is convex (so on `[0, ∞)` in particular).
Seed 004: «Sum of convex is convex». -/
theorem convexOn_modelMSE {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {c : K} (hc : 0 ≤ c) :
    ConvexOn (fun _ => True) (fun a => modelMSE l c a) := by
  intro x y hx hy a b ha hb hab
  have h₁ := convexOn_clipError hw x y hx hy a b ha hb hab
  have h₂ := convexOn_const_mul_sq hc x y hx hy a b ha hb hab
  unfold modelMSE
  grind

/-- With `c > 0` the model MSE is strictly convex. Seed 004: «Convexity: MSE is convex ⇒ unique α*». -/
theorem strictConvexOn_modelMSE {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {c : K} (hc : 0 < c) :
    StrictConvexOn (fun _ => True) (fun a => modelMSE l c a) := by
  intro x y hx hy hxy a b ha hb hab
  have h₁ := convexOn_clipError hw x y hx hy a b (Std.le_of_lt ha) (Std.le_of_lt hb) hab
  have h₂ := strictConvexOn_const_mul_sq hc x y hx hy hxy a b ha hb hab
  unfold modelMSE
  grind

/-- At most one minimizer of the model MSE when `c > 0`.
Seed 004: «Convexity: MSE is convex ⇒ unique α*». -/
theorem modelMSE_minimizer_unique {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {c : K}
    (hc : 0 < c) {x y : K} (hx : ∀ z, modelMSE l c x ≤ modelMSE l c z)
    (hy : ∀ z, modelMSE l c y ≤ modelMSE l c z) : x = y := by
  by_cases hxy : x = y
  · exact hxy
  · have h := strictConvexOn_modelMSE hw hc x y trivial trivial hxy (1 / 2) (1 / 2)
      (by grind) (by grind) (by grind)
    have := hx (1 / 2 * x + 1 / 2 * y)
    have := hy (1 / 2 * x + 1 / 2 * y)
    grind

/-- `P(|X| ≤ α)` is monotone in `α`. -/
theorem probInside_mono {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {x y : K} (h : x ≤ y) :
    probInside l x ≤ probInside l y := by
  unfold probInside
  apply expect_mono hw
  intro z
  have := Lean.Grind.OrderedRing.zero_le_one (R := K)
  try dsimp only
  repeat' split
  all_goals grind

/-- Seed 004's noise term `α² · P(|X| ≤ α)` is monotone on `[0, ∞)`.
Seed 004: «`quantizationNoise_monotone` | ∂E_q/∂α > 0». -/
theorem sq_mul_probInside_mono {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {x y : K}
    (hx : 0 ≤ x) (h : x ≤ y) : x ^ 2 * probInside l x ≤ y ^ 2 * probInside l y := by
  have hp0 : 0 ≤ probInside l x := expect_nonneg hw (fun z => by
    have := Lean.Grind.OrderedRing.zero_le_one (R := K)
    split <;> grind)
  have hp := probInside_mono hw h
  have hsq := sq_le_sq_of_nonneg_of_le hx h
  have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right hsq hp0
  have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hp
    (Lean.Grind.OrderedRing.sq_nonneg (a := y))
  grind

end Convexity

end LaAciq
