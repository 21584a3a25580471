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

* The scalar API: `maxS_cases`, `minS_cases` (the only proofs that open the definitions),
  `le_maxS_left`-style bounds, `maxS_eq_left`-style evaluations, `maxS_le_iff`, `le_minS_iff`,
  monotonicity, `absS_le_iff`, `absS_neg`, `absS_sub_comm`, `absS_mul_self`, and
  `maxS_minS_cases`: the clip `maxS lo (minS hi x)` to any interval `[lo, hi]` in its three
  pieces (Mathlib: `Set.projIcc`).
* The nine clip theorems of seed 004, with the hypothesis `0 ≤ α` exactly where it is needed:
  `clip_le_alpha`, `clip_in_range`, `clip_abs_le` and `clip_mono_alpha` need it;
  `neg_alpha_le_clip`, `clip_of_in_range`, `clip_idempotent`, `clip_mono_x`, `clip_nonneg`
  hold for every `α`.
* `clip_eq_self_iff`, `clip_of_alpha_le`, `clip_of_le_neg_alpha`: saturation at `±α`.
* `clip_lipschitz`: `|clip α x - clip α y| ≤ |x - y|`.
* `clip_neg`: `clip α (-x) = -clip α x`.
* `abs_sub_clip`: `|x - clip α x| = max (|x| - α) 0` for `0 ≤ α`.
* Ordered-field facts the whole library uses, each proved once here: division against a
  positive (`div_le_of_le_mul_of_pos`, `le_div_of_mul_le_of_pos`, `mul_le_of_le_div_of_pos`,
  `div_lt_of_lt_mul_of_pos`, `div_pos_of_pos`), signs of products (`mul_nonneg_of_nonneg`,
  `mul_pos_of_pos`, `pos_of_pos_mul`, `nonpos_of_nonpos_mul`, `mul_self_pos_of`), squares
  (`sq_convex_comb_le`, `sq_le_sq_of_nonneg_of_le`, `one_le_sq_of`, `sq_le_sq_of_abs_le`,
  `absS_sq`, `absS_pos`) and the moment bounds `absS_le_sq_add_one`, `sq_le_pow_four_add_one`,
  `absS_pow_three_le`.
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

/-! ### The scalar API

The definitions are opened in exactly two places, `maxS_cases` and `minS_cases` (Mathlib's
`max_cases`, `min_cases`); every other fact about `maxS`, `minS`, `absS` and `clip` is proved
from those two lemmas, and proofs elsewhere use the lemmas of this section instead of unfolding.
`maxS_def`, `minS_def`, `absS_def` and `clip_def` state the definitions (Mathlib's `max_def`,
`min_def`, `abs_eq_max_neg`, `Set.coe_projIcc`) for a bridge to rewrite with. -/

theorem maxS_def (a b : K) : maxS a b = if a ≤ b then b else a := rfl

theorem minS_def (a b : K) : minS a b = if a ≤ b then a else b := rfl

theorem absS_def (x : K) : absS x = maxS x (-x) := rfl

/-- The two cases of `maxS` (Mathlib: `max_cases`). -/
theorem maxS_cases (a b : K) : (a ≤ b ∧ maxS a b = b) ∨ (b ≤ a ∧ maxS a b = a) := by
  -- the API lemma itself: the one place `maxS` is opened
  rw [maxS_def]; split <;> grind

/-- The two cases of `minS` (Mathlib: `min_cases`). -/
theorem minS_cases (a b : K) : (a ≤ b ∧ minS a b = a) ∨ (b ≤ a ∧ minS a b = b) := by
  -- the API lemma itself: the one place `minS` is opened
  rw [minS_def]; split <;> grind

@[simp, grind =] theorem maxS_self (a : K) : maxS a a = a := by
  rcases maxS_cases a a with ⟨_, e⟩ | ⟨_, e⟩ <;> exact e

@[simp, grind =] theorem minS_self (a : K) : minS a a = a := by
  rcases minS_cases a a with ⟨_, e⟩ | ⟨_, e⟩ <;> exact e

theorem le_maxS_left (a b : K) : a ≤ maxS a b := by
  rcases maxS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

theorem le_maxS_right (a b : K) : b ≤ maxS a b := by
  rcases maxS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

theorem minS_le_left (a b : K) : minS a b ≤ a := by
  rcases minS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

theorem minS_le_right (a b : K) : minS a b ≤ b := by
  rcases minS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

theorem maxS_eq_left {a b : K} (h : b ≤ a) : maxS a b = a := by
  rcases maxS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

theorem maxS_eq_right {a b : K} (h : a ≤ b) : maxS a b = b := by
  rcases maxS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

theorem minS_eq_left {a b : K} (h : a ≤ b) : minS a b = a := by
  rcases minS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

theorem minS_eq_right {a b : K} (h : b ≤ a) : minS a b = b := by
  rcases minS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

@[simp] theorem maxS_le_iff {a b c : K} : maxS a b ≤ c ↔ a ≤ c ∧ b ≤ c := by
  rcases maxS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

@[simp] theorem le_minS_iff {a b c : K} : c ≤ minS a b ↔ c ≤ a ∧ c ≤ b := by
  rcases minS_cases a b with ⟨_, e⟩ | ⟨_, e⟩ <;> grind

theorem maxS_mono_right (a : K) {b c : K} (h : b ≤ c) : maxS a b ≤ maxS a c :=
  maxS_le_iff.mpr ⟨le_maxS_left a c, Std.le_trans h (le_maxS_right a c)⟩

theorem minS_mono_right (a : K) {b c : K} (h : b ≤ c) : minS a b ≤ minS a c :=
  le_minS_iff.mpr ⟨minS_le_left a b, Std.le_trans (minS_le_right a b) h⟩

/-- `maxS lo (minS hi x)`, the clip to `[lo, hi]` (Mathlib: `Set.projIcc`), in its three pieces:
saturated below, inside, saturated above. -/
theorem maxS_minS_cases {lo hi : K} (h : lo ≤ hi) (x : K) :
    (x ≤ lo ∧ maxS lo (minS hi x) = lo) ∨ ((lo ≤ x ∧ x ≤ hi) ∧ maxS lo (minS hi x) = x) ∨
      (hi ≤ x ∧ maxS lo (minS hi x) = hi) := by
  rcases minS_cases hi x with ⟨h₁, e₁⟩ | ⟨h₁, e₁⟩ <;>
    rcases maxS_cases lo (minS hi x) with ⟨h₂, e₂⟩ | ⟨h₂, e₂⟩ <;> grind

theorem le_absS_self (x : K) : x ≤ absS x := le_maxS_left x (-x)

theorem neg_le_absS (x : K) : -x ≤ absS x := le_maxS_right x (-x)

theorem absS_nonneg (x : K) : 0 ≤ absS x := by
  have := le_absS_self x
  have := neg_le_absS x
  grind

theorem absS_of_nonneg {x : K} (h : 0 ≤ x) : absS x = x := maxS_eq_left (by grind)

theorem absS_of_nonpos {x : K} (h : x ≤ 0) : absS x = -x := maxS_eq_right (by grind)

theorem absS_le_iff {x c : K} : absS x ≤ c ↔ -c ≤ x ∧ x ≤ c := by
  have h : absS x ≤ c ↔ x ≤ c ∧ -x ≤ c := maxS_le_iff
  grind

@[simp, grind =] theorem absS_neg (x : K) : absS (-x) = absS x := by
  by_cases h : 0 ≤ x
  · have e₁ : absS (-x) = - -x := absS_of_nonpos (by grind)
    have e₂ := absS_of_nonneg h
    grind
  · have e₁ : absS (-x) = -x := absS_of_nonneg (by grind)
    have e₂ : absS x = -x := absS_of_nonpos (by grind)
    grind

theorem absS_sub_comm (x y : K) : absS (x - y) = absS (y - x) := by
  have e : y - x = -(x - y) := by grind
  rw [e, absS_neg]

@[simp] theorem absS_mul_self (x : K) : absS x * absS x = x * x := by
  by_cases h : 0 ≤ x
  · rw [absS_of_nonneg h]
  · rw [absS_of_nonpos (show x ≤ 0 by grind)]
    grind

/-- Clipping to `[-a, a]`.
Seed 004: «clip(x,α) = max(-α, min(α, x))». -/
def clip (a x : K) : K := maxS (-a) (minS a x)

theorem clip_def (a x : K) : clip a x = maxS (-a) (minS a x) := rfl

/-- Seed 004: «clip(x,α) ≤ α». Needs `0 ≤ α` (for `α < 0` the value is `-α > α`). -/
theorem clip_le_alpha {a : K} (ha : 0 ≤ a) (x : K) : clip a x ≤ a :=
  maxS_le_iff.mpr ⟨by grind, minS_le_left a x⟩

/-- Seed 004: «-α ≤ clip(x,α)». Holds for every `α`. -/
theorem neg_alpha_le_clip (a x : K) : -a ≤ clip a x :=
  le_maxS_left _ _

/-- Seed 004: «-α ≤ clip(x,α) ≤ α». Needs `0 ≤ α`. -/
theorem clip_in_range {a : K} (ha : 0 ≤ a) (x : K) : -a ≤ clip a x ∧ clip a x ≤ a :=
  ⟨neg_alpha_le_clip a x, clip_le_alpha ha x⟩

/-- Seed 004: «x∈[-α,α] → clip(x,α)=x». -/
theorem clip_of_in_range {a x : K} (h₁ : -a ≤ x) (h₂ : x ≤ a) : clip a x = x :=
  (clip_def a x).trans ((congrArg (maxS (-a)) (minS_eq_right h₂)).trans (maxS_eq_right h₁))

/-- Seed 004: «clip(clip(x,α),α) = clip(x,α)». Holds for every `α`. -/
theorem clip_idempotent (a x : K) : clip a (clip a x) = clip a x := by
  by_cases ha : 0 ≤ a
  · have h := clip_in_range ha x
    exact clip_of_in_range h.1 h.2
  · have e : ∀ y, clip a y = -a := fun y =>
      maxS_eq_left (by have := minS_le_left a y; grind)
    rw [e, e]

/-- Seed 004: «\|clip(x,α)\| ≤ α». Needs `0 ≤ α`. -/
theorem clip_abs_le {a : K} (ha : 0 ≤ a) (x : K) : absS (clip a x) ≤ a :=
  absS_le_iff.mpr (clip_in_range ha x)

/-- Seed 004: «x≤y → clip(x,α)≤clip(y,α)». Holds for every `α`. -/
theorem clip_mono_x (a : K) {x y : K} (h : x ≤ y) : clip a x ≤ clip a y :=
  maxS_mono_right _ (minS_mono_right _ h)

/-- Seed 004: «α≤β → clip(x,α)∈[-β,β]». Needs `0 ≤ α`. -/
theorem clip_mono_alpha {a b : K} (ha : 0 ≤ a) (hab : a ≤ b) (x : K) :
    -b ≤ clip a x ∧ clip a x ≤ b := by
  have := clip_in_range ha x
  grind

/-- Seed 004: «x≥0 → clip(x,α)≥0». Holds for every `α`. -/
theorem clip_nonneg (a : K) {x : K} (hx : 0 ≤ x) : 0 ≤ clip a x := by
  have e := clip_def a x
  by_cases ha : 0 ≤ a
  · have h1 := le_minS_iff.mpr ⟨ha, hx⟩
    have h2 := le_maxS_right (-a) (minS a x)
    grind
  · have := le_maxS_left (-a) (minS a x)
    grind

/-- Saturation above. Seed 004: «clip(x,α) = max(-α, min(α, x))». -/
theorem clip_of_alpha_le {a x : K} (ha : 0 ≤ a) (h : a ≤ x) : clip a x = a :=
  (clip_def a x).trans ((congrArg (maxS (-a)) (minS_eq_left h)).trans
    (maxS_eq_right (show -a ≤ a by grind)))

/-- Saturation below. Seed 004: «clip(x,α) = max(-α, min(α, x))». -/
theorem clip_of_le_neg_alpha {a x : K} (ha : 0 ≤ a) (h : x ≤ -a) : clip a x = -a :=
  (clip_def a x).trans ((congrArg (maxS (-a)) (minS_eq_right (show x ≤ a by grind))).trans
    (maxS_eq_left h))

/-- Fixed points. -/
theorem clip_eq_self_iff {a x : K} (ha : 0 ≤ a) : clip a x = x ↔ -a ≤ x ∧ x ≤ a := by
  constructor
  · intro h
    have := clip_in_range ha x
    rw [h] at this
    exact this
  · intro h
    exact clip_of_in_range h.1 h.2

/-- The three pieces of the clip: saturated below, inside, saturated above. -/
theorem clip_cases {a : K} (ha : 0 ≤ a) (x : K) :
    (x ≤ -a ∧ clip a x = -a) ∨ ((-a ≤ x ∧ x ≤ a) ∧ clip a x = x) ∨ (a ≤ x ∧ clip a x = a) := by
  by_cases h₁ : x ≤ -a
  · exact Or.inl ⟨h₁, clip_of_le_neg_alpha ha h₁⟩
  · by_cases h₂ : a ≤ x
    · exact Or.inr (Or.inr ⟨h₂, clip_of_alpha_le ha h₂⟩)
    · exact Or.inr (Or.inl ⟨⟨by grind, by grind⟩, clip_of_in_range (by grind) (by grind)⟩)

/-- Clipping is 1-Lipschitz. -/
theorem clip_lipschitz {a : K} (ha : 0 ≤ a) (x y : K) :
    absS (clip a x - clip a y) ≤ absS (x - y) := by
  have h1 := le_absS_self (x - y)
  have h2 := neg_le_absS (x - y)
  rw [absS_le_iff]
  rcases clip_cases ha x with ⟨hx, ex⟩ | ⟨hx, ex⟩ | ⟨hx, ex⟩ <;>
    rcases clip_cases ha y with ⟨hy, ey⟩ | ⟨hy, ey⟩ | ⟨hy, ey⟩ <;>
    constructor <;> grind

/-- Clipping is odd. Seed 000: «Symmetric around 0». -/
theorem clip_neg {a : K} (ha : 0 ≤ a) (x : K) : clip a (-x) = -clip a x := by
  rcases clip_cases ha x with ⟨hx, ex⟩ | ⟨hx, ex⟩ | ⟨hx, ex⟩
  · have e := clip_of_alpha_le (x := -x) ha (by grind)
    grind
  · have e := clip_of_in_range (a := a) (x := -x) (by grind) (by grind)
    grind
  · have e := clip_of_le_neg_alpha (x := -x) ha (by grind)
    grind

/-- The clipping residual. Seed 001: «E_clip(α) = E[(|X| - α)² · 𝟙_{|X|>α}]». -/
theorem abs_sub_clip {a : K} (ha : 0 ≤ a) (x : K) :
    absS (x - clip a x) = maxS (absS x - a) 0 := by
  rcases clip_cases ha x with ⟨hx, e⟩ | ⟨hx, e⟩ | ⟨hx, e⟩
  · have e1 := absS_of_nonpos (x := x - clip a x) (by grind)
    have e2 := absS_of_nonpos (x := x) (by grind)
    have e3 := maxS_eq_left (a := absS x - a) (b := 0) (by grind)
    grind
  · have e1 := absS_of_nonneg (x := x - clip a x) (by grind)
    have e2 := absS_le_iff.mpr hx
    have e3 := maxS_eq_right (a := absS x - a) (b := 0) (by grind)
    grind
  · have e1 := absS_of_nonneg (x := x - clip a x) (by grind)
    have e2 := absS_of_nonneg (x := x) (by grind)
    have e3 := maxS_eq_left (a := absS x - a) (b := 0) (by grind)
    grind

/-- The residual vanishes exactly inside the interval. -/
theorem sub_clip_eq_zero_iff {a x : K} (ha : 0 ≤ a) : x - clip a x = 0 ↔ -a ≤ x ∧ x ≤ a := by
  rw [← clip_eq_self_iff ha]
  constructor <;> intro h <;> grind

end Scalar

/-! ### Ordered-field facts

Facts about every `OrderedField` that Mathlib proves for its ordered fields (the names it uses are
in each docstring), needed across the library: proved here once. -/

section Field

variable {K : Type} [OrderedField K]

/-- Dividing an upper bound by a positive number. -/
theorem div_le_of_le_mul_of_pos {c s L : K} (hs : 0 < s) (h : c ≤ s * L) : c / s ≤ L := by
  have e : s * (c / s) = c := by grind
  by_cases hc : c / s ≤ L
  · exact hc
  · have := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left (show L < c / s by grind) hs
    grind

/-- Dividing a lower bound by a positive number. -/
theorem le_div_of_mul_le_of_pos {c s L : K} (hs : 0 < s) (h : s * L ≤ c) : L ≤ c / s := by
  have e : s * (c / s) = c := by grind
  by_cases hc : L ≤ c / s
  · exact hc
  · have := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left (show c / s < L by grind) hs
    grind

/-- Multiplying out a lower bound of a quotient by a positive number. -/
theorem mul_le_of_le_div_of_pos {c s y : K} (hs : 0 < s) (h : c ≤ y / s) : c * s ≤ y := by
  have e : s * (y / s) = y := by grind
  by_cases hc : c = y / s
  · grind
  · have := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left (Std.lt_of_le_of_ne h hc) hs
    grind

/-- Dividing a strict upper bound by a positive number. -/
theorem div_lt_of_lt_mul_of_pos {c s L : K} (hs : 0 < s) (h : c < s * L) : c / s < L := by
  by_cases hc : c / s < L
  · exact hc
  · have := mul_le_of_le_div_of_pos hs (show L ≤ c / s by grind)
    grind

/-- A quotient of positives is positive. -/
theorem div_pos_of_pos {m k : K} (hm : 0 < m) (hk : 0 < k) : 0 < m / k := by
  have e : m / k * k = m := by grind
  by_cases h : 0 < m / k
  · exact h
  · have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right (show m / k ≤ 0 by grind)
      (Std.le_of_lt hk)
    grind

/-- Mathlib's `mul_nonneg`. -/
theorem mul_nonneg_of_nonneg {a b : K} (ha : 0 ≤ a) (hb : 0 ≤ b) : 0 ≤ a * b :=
  Lean.Grind.OrderedRing.mul_nonneg ha hb

/-- Mathlib's `mul_pos`. -/
theorem mul_pos_of_pos {a b : K} (ha : 0 < a) (hb : 0 < b) : 0 < a * b :=
  Lean.Grind.OrderedRing.mul_pos ha hb

/-- Mathlib's `pos_of_mul_pos_right (h : 0 < a * b) (ha : 0 ≤ a) : 0 < b` (here `0 < A`). -/
theorem pos_of_pos_mul {A x : K} (hA : 0 < A) (h : 0 < A * x) : 0 < x := by
  by_cases hx : 0 < x
  · exact hx
  · have := mul_nonneg_of_nonneg (Std.le_of_lt hA) (show 0 ≤ -x by grind)
    grind

/-- Mathlib's `nonpos_of_mul_nonpos_right (h : a * b ≤ 0) (ha : 0 < a) : b ≤ 0`. -/
theorem nonpos_of_nonpos_mul {A x : K} (hA : 0 < A) (h : A * x ≤ 0) : x ≤ 0 := by
  by_cases hx : x ≤ 0
  · exact hx
  · have := mul_pos_of_pos hA (show 0 < x by grind)
    grind

/-- `a² > 0` for `a ≥ 1` or `a ≤ -1`. -/
theorem mul_self_pos_of {a : K} (ha : 1 ≤ a ∨ a ≤ -1) : 0 < a * a := by
  obtain ⟨c, hc, e⟩ : ∃ c : K, 0 < c ∧ a * a = c * c := by
    rcases ha with ha | ha
    · exact ⟨a, by grind, rfl⟩
    · exact ⟨-a, by grind, by grind⟩
  rw [e]
  exact mul_pos_of_pos hc hc

/-- Jensen for the square: `(a u + b v)² ≤ a u² + b v²` when `a + b = 1`, `a, b ≥ 0`. -/
theorem sq_convex_comb_le {a b : K} (ha : 0 ≤ a) (hb : 0 ≤ b) (hab : a + b = 1) (u v : K) :
    (a * u + b * v) ^ 2 ≤ a * u ^ 2 + b * v ^ 2 := by
  have h := Lean.Grind.OrderedRing.mul_nonneg (Lean.Grind.OrderedRing.mul_nonneg ha hb)
    (Lean.Grind.OrderedRing.sq_nonneg (a := u - v))
  have e : a * u ^ 2 + b * v ^ 2 - (a * u + b * v) ^ 2 = a * b * (u - v) ^ 2 := by
    have hb' : b = 1 - a := by grind
    subst hb'; grind
  grind

/-- Squares are monotone on `[0, ∞)`. -/
theorem sq_le_sq_of_nonneg_of_le {u v : K} (hu : 0 ≤ u) (h : u ≤ v) : u ^ 2 ≤ v ^ 2 := by
  have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h hu
  have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right h (by grind : (0 : K) ≤ v)
  grind

/-- `|y| ≥ 1 → y² ≥ 1`. -/
theorem one_le_sq_of {y : K} (h : 1 ≤ y ∨ y ≤ -1) : 1 ≤ y ^ 2 := by
  rcases h with h | h
  · have := sq_le_sq_of_nonneg_of_le (u := (1 : K)) (v := y)
      (Lean.Grind.OrderedRing.zero_le_one (R := K)) h
    grind
  · have := sq_le_sq_of_nonneg_of_le (u := (1 : K)) (v := -y)
      (Lean.Grind.OrderedRing.zero_le_one (R := K)) (by grind)
    grind

/-- `|x| > 0` off `0`. -/
theorem absS_pos {x : K} (h : x ≠ 0) : 0 < absS x := by
  have h₁ := le_absS_self x
  have h₂ := neg_le_absS x
  by_cases hx : 0 < x
  · grind
  · have hx' : x < 0 := by grind
    grind

/-- `|x|² = x²`. -/
theorem absS_sq (x : K) : absS x ^ 2 = x ^ 2 := by
  have := absS_mul_self x
  grind

/-- `|e| ≤ h → e² ≤ h²`. -/
theorem sq_le_sq_of_abs_le {e h : K} (he : absS e ≤ h) : e ^ 2 ≤ h ^ 2 := by
  have h0 : 0 ≤ absS e := absS_nonneg e
  have hsq : e ^ 2 = absS e * absS e := by have := absS_mul_self e; grind
  have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left he h0
  have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right he (by grind : (0 : K) ≤ h)
  grind

/-- `|x| ≤ x² + 1`. -/
theorem absS_le_sq_add_one (x : K) : absS x ≤ x ^ 2 + 1 := by
  have h₁ := Lean.Grind.OrderedRing.sq_nonneg (a := x + 1 / 2)
  have h₂ := Lean.Grind.OrderedRing.sq_nonneg (a := x - 1 / 2)
  exact absS_le_iff.mpr ⟨by grind, by grind⟩

/-- `x² ≤ x⁴ + 1`. -/
theorem sq_le_pow_four_add_one (x : K) : x ^ 2 ≤ x ^ 4 + 1 := by
  have h := Lean.Grind.OrderedRing.sq_nonneg (a := x ^ 2 - 1 / 2)
  grind

/-- `|x³| ≤ x⁴ + x²`. -/
theorem absS_pow_three_le (x : K) : absS (x ^ 3) ≤ x ^ 4 + x ^ 2 := by
  have h₀ := Lean.Grind.OrderedRing.sq_nonneg (a := x)
  have h₁ := Lean.Grind.OrderedRing.mul_nonneg h₀
    (Lean.Grind.OrderedRing.sq_nonneg (a := x - 1 / 2))
  have h₂ := Lean.Grind.OrderedRing.mul_nonneg h₀
    (Lean.Grind.OrderedRing.sq_nonneg (a := x + 1 / 2))
  exact absS_le_iff.mpr ⟨by grind, by grind⟩

end Field

/-! `Rat` satisfies the scalar setting: the clip theorems apply to it. -/

example (x : Rat) : clip (2 : Rat) x ≤ 2 := clip_le_alpha (by decide) x

example (x y : Rat) : absS (clip (1 : Rat) x - clip 1 y) ≤ absS (x - y) :=
  clip_lipschitz (by decide) x y

end LaAciq
