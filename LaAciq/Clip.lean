/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import Init

/-!
# Clipping to a symmetric interval

The scalar setting of the whole library and the clipping map `clip α x = max (-α) (min α x)`.

## The scalar setting

`LaAciq.OrderedField K`: a linearly ordered field in core-Lean terms, one class bundling
`Lean.Grind.Field`, an order (`LE`, `LT`, `Std.IsLinearOrder`, `Std.LawfulOrderLT`, decidable
`≤`) and `Lean.Grind.OrderedRing` (Mathlib: `[Field K] [LinearOrder K] [IsStrictOrderedRing K]`).
The field is called `K` throughout: `α` is the clipping threshold in every seed (Lean proofs
name it `a`). `Rat` is an instance (checked below); Mathlib's `ℝ` will be one through a later
bridge package.
Core Lean has no lawful `max`/`min` instances for `Rat`, so `minS`, `maxS` and `absS` are
defined by Mathlib's own equations (`min_def`, `max_def`, `abs_eq_max_neg`): a bridge rewrites
them with those lemmas.

## Main definitions

* `LaAciq.OrderedField`: the scalar setting.
* `LaAciq.minS`, `LaAciq.maxS`, `LaAciq.absS`: min, max and absolute value by `if`.
* `LaAciq.clip`: `clip α x = max (-α) (min α x)` (seed 004).

## Main results

* The nine clip theorems of seed 004, with the hypothesis `0 ≤ α` exactly where it is needed:
  `clip_le_alpha`, `clip_in_range`, `clip_abs_le` and `clip_mono_alpha` need it;
  `neg_alpha_le_clip`, `clip_of_in_range`, `clip_idempotent`, `clip_mono_x`, `clip_nonneg`
  hold for every `α`.
* `clip_eq_self_iff`, `clip_of_alpha_le`, `clip_of_le_neg_alpha`: saturation at `±α`.
* `clip_lipschitz`: `|clip α x - clip α y| ≤ |x - y|`.
* `clip_neg`: `clip α (-x) = -clip α x`.
* `abs_sub_clip`: `|x - clip α x| = max (|x| - α) 0` for `0 ≤ α`.
-/

@[expose] public section

namespace LaAciq

/-- The scalar setting of the library: a linearly ordered field, bundled from core Lean's
`Lean.Grind` algebra and `Std` order classes (Mathlib: `[Field K] [LinearOrder K]
[IsStrictOrderedRing K]`). -/
class OrderedField (K : Type) extends Lean.Grind.Field K, LE K, LT K, Std.IsLinearOrder K,
    Std.LawfulOrderLT K, Lean.Grind.OrderedRing K where
  /-- `≤` is decidable (Mathlib: `LinearOrder.toDecidableLE`). -/
  decLE : DecidableLE K

attribute [instance] OrderedField.decLE

/-- `ℚ` is an ordered field (its instance carries no code: it is only reasoned about). -/
noncomputable instance : OrderedField Rat where
  decLE := inferInstance

section Scalar

variable {K : Type} [OrderedField K]

/-- Minimum by Mathlib's `min_def`: `min a b = if a ≤ b then a else b`. -/
def minS (a b : K) : K := if a ≤ b then a else b

/-- Maximum by Mathlib's `max_def`: `max a b = if a ≤ b then b else a`. -/
def maxS (a b : K) : K := if a ≤ b then b else a

/-- Absolute value by Mathlib's `abs_eq_max_neg`: `|x| = max x (-x)`. -/
def absS (x : K) : K := maxS x (-x)

/-- Clipping to `[-a, a]`.
Seed 004: «clip(x,α) = max(-α, min(α, x))». -/
def clip (a x : K) : K := maxS (-a) (minS a x)

/-- Seed 004: «clip(x,α) ≤ α». Needs `0 ≤ α` (for `α < 0` the value is `-α > α`). -/
theorem clip_le_alpha {a : K} (ha : 0 ≤ a) (x : K) : clip a x ≤ a := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Seed 004: «-α ≤ clip(x,α)». Holds for every `α`. -/
theorem neg_alpha_le_clip (a x : K) : -a ≤ clip a x := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Seed 004: «-α ≤ clip(x,α) ≤ α». Needs `0 ≤ α`. -/
theorem clip_in_range {a : K} (ha : 0 ≤ a) (x : K) : -a ≤ clip a x ∧ clip a x ≤ a :=
  ⟨neg_alpha_le_clip a x, clip_le_alpha ha x⟩

/-- Seed 004: «x∈[-α,α] → clip(x,α)=x». -/
theorem clip_of_in_range {a x : K} (h₁ : -a ≤ x) (h₂ : x ≤ a) : clip a x = x := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Seed 004: «clip(clip(x,α),α) = clip(x,α)». Holds for every `α`. -/
theorem clip_idempotent (a x : K) : clip a (clip a x) = clip a x := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Seed 004: «\|clip(x,α)\| ≤ α». Needs `0 ≤ α`. -/
theorem clip_abs_le {a : K} (ha : 0 ≤ a) (x : K) : absS (clip a x) ≤ a := by
  unfold absS clip maxS minS; repeat' split
  all_goals grind

/-- Seed 004: «x≤y → clip(x,α)≤clip(y,α)». Holds for every `α`. -/
theorem clip_mono_x (a : K) {x y : K} (h : x ≤ y) : clip a x ≤ clip a y := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Seed 004: «α≤β → clip(x,α)∈[-β,β]». Needs `0 ≤ α`. -/
theorem clip_mono_alpha {a b : K} (ha : 0 ≤ a) (hab : a ≤ b) (x : K) :
    -b ≤ clip a x ∧ clip a x ≤ b := by
  have := clip_in_range ha x
  grind

/-- Seed 004: «x≥0 → clip(x,α)≥0». Holds for every `α`. -/
theorem clip_nonneg (a : K) {x : K} (hx : 0 ≤ x) : 0 ≤ clip a x := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Saturation above. Seed 004: «clip(x,α) = max(-α, min(α, x))». -/
theorem clip_of_alpha_le {a x : K} (ha : 0 ≤ a) (h : a ≤ x) : clip a x = a := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Saturation below. Seed 004: «clip(x,α) = max(-α, min(α, x))». -/
theorem clip_of_le_neg_alpha {a x : K} (ha : 0 ≤ a) (h : x ≤ -a) : clip a x = -a := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Fixed points. -/
theorem clip_eq_self_iff {a x : K} (ha : 0 ≤ a) : clip a x = x ↔ -a ≤ x ∧ x ≤ a := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- Clipping is 1-Lipschitz. -/
theorem clip_lipschitz {a : K} (ha : 0 ≤ a) (x y : K) :
    absS (clip a x - clip a y) ≤ absS (x - y) := by
  unfold absS clip maxS minS; repeat' split
  all_goals grind

/-- Clipping is odd. Seed 000: «Symmetric around 0». -/
theorem clip_neg {a : K} (ha : 0 ≤ a) (x : K) : clip a (-x) = -clip a x := by
  unfold clip maxS minS; repeat' split
  all_goals grind

/-- The clipping residual. Seed 001: «E_clip(α) = E[(|X| - α)² · 𝟙_{|X|>α}]». -/
theorem abs_sub_clip {a : K} (ha : 0 ≤ a) (x : K) :
    absS (x - clip a x) = maxS (absS x - a) 0 := by
  unfold absS clip maxS minS; repeat' split
  all_goals grind

/-- The residual vanishes exactly inside the interval. -/
theorem sub_clip_eq_zero_iff {a x : K} (ha : 0 ≤ a) : x - clip a x = 0 ↔ -a ≤ x ∧ x ≤ a := by
  unfold clip maxS minS; repeat' split
  all_goals grind

end Scalar

/-! `Rat` satisfies the scalar setting: the clip theorems apply to it. -/

example (x : Rat) : clip (2 : Rat) x ≤ 2 := clip_le_alpha (by decide) x

example (x y : Rat) : absS (clip (1 : Rat) x - clip 1 y) ≤ absS (x - y) :=
  clip_lipschitz (by decide) x y

end LaAciq
