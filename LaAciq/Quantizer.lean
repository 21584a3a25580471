/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Clip

/-!
# The symmetric uniform quantizer

Seed 000 defines, for a bit-width `B` and a clipping threshold `α`,
`Q_α(x) = α · round(clip(x, -α, α)/α · (2^{B-1} - 1)) · 1/(2^{B-1} - 1)`.
With `levels B = 2^(B-1) - 1` and `step α B = α / levels B` this is
`Q_α(x) = step · round(clip α x / step)` (`quantize_eq_seed`).

## Rounding

Core Lean has no `round` on ordered fields (`Float.round` rounds half away from zero). The class
`LaAciq.IntFloor` carries a floor with its two defining inequalities, mirroring Mathlib's
`FloorRing` / `Int.floor_le` / `Int.lt_floor_add_one`; `LaAciq.roundS x = floor (x + 1/2)` is
Mathlib's `round` (`round_eq : round x = ⌊x + 1 / 2⌋`). `Rat` is an instance via `Rat.floor`.

## Main results

* `two_mul_levels_add_one`: the grid `{k · step : |k| ≤ levels}` has `2^B - 1` points.
* `quantize_mem_grid`, `quantize_grid_point`: the outputs are exactly the grid points.
* `quantize_mem_range`: the range is `[-α, α]`.
* `abs_sub_quantize_le`: `|x - Q x| ≤ step / 2` for `|x| ≤ α`.
* `quantize_of_alpha_le`, `quantize_of_le_neg_alpha`: saturation at `±α`.
* `quantize_idempotent`, `quantize_mono`, `quantize_homogeneous`.
* `quantize_neg`: `Q (-x) = -Q x` when `clip α x / step` is not a half-integer.
* `step_eq_two_mul_div`: `step = 2α / (2^B - 2)`.
-/

@[expose] public section

namespace LaAciq

attribute [local instance] Lean.Grind.Semiring.natCast Lean.Grind.Ring.intCast

/-- A floor on an ordered field: Mathlib's `FloorRing`, by its characterising inequalities
`Int.floor_le : (⌊x⌋ : α) ≤ x` and `Int.lt_floor_add_one : x < ⌊x⌋ + 1`. -/
class IntFloor (K : Type) [Lean.Grind.Field K] [LE K] [LT K] where
  /-- The floor, Mathlib's `Int.floor`. -/
  floor : K → Int
  /-- Mathlib's `Int.floor_le`. -/
  floor_le : ∀ x : K, ((floor x : Int) : K) ≤ x
  /-- Mathlib's `Int.lt_floor_add_one`. -/
  lt_floor_add_one : ∀ x : K, x < ((floor x : Int) : K) + 1

instance : IntFloor Rat where
  floor := Rat.floor
  floor_le x := Rat.floor_le ..
  lt_floor_add_one x := by
    have h := Rat.lt_floor_add_one x
    rw [Rat.intCast_add, Rat.intCast_one] at h
    exact h

section Rounding

variable {K : Type} [OrderedField K] [IntFloor K]

/-- Half-up rounding, Mathlib's `round` (`round_eq : round x = ⌊x + 1 / 2⌋`). -/
def roundS (x : K) : Int := IntFloor.floor (x + 1 / 2)

/-- The floor is characterised by its inequalities (Mathlib's `Int.floor_eq_iff`). -/
theorem floor_eq_of_le_of_lt {x : K} {n : Int} (h₁ : (n : K) ≤ x) (h₂ : x < (n : K) + 1) :
    IntFloor.floor x = n := by
  have a := IntFloor.floor_le x
  have b := IntFloor.lt_floor_add_one x
  have c := Lean.Grind.Ring.intCast_add (α := K) (IntFloor.floor x) 1
  have d := Lean.Grind.Ring.intCast_add (α := K) n 1
  have e := Lean.Grind.Ring.intCast_one (α := K)
  have f : IntFloor.floor x < n + 1 :=
    Lean.Grind.OrderedRing.lt_of_intCast_lt_intCast (R := K) _ _ (by grind)
  have g : n < IntFloor.floor x + 1 :=
    Lean.Grind.OrderedRing.lt_of_intCast_lt_intCast (R := K) _ _ (by grind)
  omega

/-- Rounding an integer gives it back (Mathlib's `round_intCast`). -/
theorem roundS_intCast (n : Int) : roundS (n : K) = n := by
  unfold roundS
  apply floor_eq_of_le_of_lt <;> grind

/-- The rounding error is at most `1/2` on either side (Mathlib's `abs_sub_round`). -/
theorem roundS_sub_le (x : K) : ((roundS x : Int) : K) - x ≤ 1 / 2 ∧ x - (roundS x : K) < 1 / 2 := by
  have a := IntFloor.floor_le (x + 1 / 2)
  have b := IntFloor.lt_floor_add_one (x + 1 / 2)
  unfold roundS
  constructor <;> grind

/-- Rounding is monotone. Mathlib has no `round_mono`: there it is `round_eq` and
`Int.floor_le_floor`. -/
theorem roundS_mono {x y : K} (h : x ≤ y) : roundS x ≤ roundS y := by
  have a := IntFloor.floor_le (x + 1 / 2)
  have b := IntFloor.lt_floor_add_one (y + 1 / 2)
  have c := Lean.Grind.Ring.intCast_add (α := K) (roundS y) 1
  have e := Lean.Grind.Ring.intCast_one (α := K)
  have f : roundS x < roundS y + 1 :=
    Lean.Grind.OrderedRing.lt_of_intCast_lt_intCast (R := K) _ _ (by unfold roundS at *; grind)
  omega

/-- Rounding commutes with negation off half-integers. -/
theorem roundS_neg {y : K} (hy : ∀ n : Int, y ≠ (n : K) + 1 / 2) : roundS (-y) = -roundS y := by
  have a := IntFloor.floor_le (y + 1 / 2)
  have b := IntFloor.lt_floor_add_one (y + 1 / 2)
  have c := hy (roundS y - 1)
  have d := Lean.Grind.Ring.intCast_sub (α := K) (roundS y) 1
  have d' := Lean.Grind.Ring.intCast_neg (α := K) (roundS y)
  have e := Lean.Grind.Ring.intCast_one (α := K)
  have hne : ((roundS y : Int) : K) ≠ y + 1 / 2 := fun h => c (by unfold roundS at *; grind)
  have hlt : ((roundS y : Int) : K) < y + 1 / 2 := by
    exact Std.lt_of_le_of_ne (by unfold roundS at *; exact a) hne
  unfold roundS at *
  apply floor_eq_of_le_of_lt <;> grind

/-- A rounded value bounded by an integer stays bounded by it. -/
theorem roundS_le_of_le {x : K} {n : Int} (h : x ≤ (n : K)) : roundS x ≤ n := by
  have := roundS_mono h
  rwa [roundS_intCast] at this

/-- Lower bound version of `roundS_le_of_le`. -/
theorem le_roundS_of_le {x : K} {n : Int} (h : (n : K) ≤ x) : n ≤ roundS x := by
  have := roundS_mono h
  rwa [roundS_intCast] at this

end Rounding

section Quantizer

/-- The number of positive levels, `2^(B-1) - 1`. -/
def levels (B : Nat) : Nat := 2 ^ (B - 1) - 1

/-- For `B ≥ 2` there is at least one positive level. Seed 000: «B | Bit-width | {2, 3, 4, 8, 16}». -/
theorem one_le_levels {B : Nat} (hB : 2 ≤ B) : 1 ≤ levels B := by
  unfold levels
  have h : 2 ^ (B - 1) = 2 * 2 ^ (B - 2) := by
    rw [show B - 1 = (B - 2) + 1 by omega, Nat.pow_succ]; omega
  have := Nat.two_pow_pos (B - 2)
  omega

/-- The grid `{k · step : |k| ≤ levels B}` has `2 * levels B + 1 = 2^B - 1` points, not the
`2^B` of the seed. Seed 000: «Range: [-α, α] mapped to 2^B discrete levels». -/
theorem two_mul_levels_add_one {B : Nat} (hB : 1 ≤ B) : 2 * levels B + 1 = 2 ^ B - 1 := by
  unfold levels
  have h : 2 ^ B = 2 * 2 ^ (B - 1) := by
    rw [show B = (B - 1) + 1 from by omega, Nat.pow_succ]; simp; omega
  have := Nat.two_pow_pos (B - 1)
  omega

variable {K : Type} [OrderedField K]

section

variable [IntFloor K]

/-- The quantization step `α / (2^(B-1) - 1)`. (wrong:
see `step_eq_two_mul_div` and the refutation module). -/
def step (a : K) (B : Nat) : K := a / ((levels B : Nat) : K)

/-- The quantizer `Q_α(x) = step · round(clip α x / step)`.
Seed 000: «Q_\alpha(x) = \alpha \cdot \text{round}». -/
noncomputable def quantize (a : K) (B : Nat) (x : K) : K :=
  step a B * ((roundS (clip a x / step a B) : Int) : K)

end

/-- The levels are positive in the field. -/
theorem levels_cast_pos {B : Nat} (hB : 2 ≤ B) : (0 : K) < ((levels B : Nat) : K) := by
  have := one_le_levels hB
  have h := Lean.Grind.OrderedRing.natCast_le_natCast_of_le (R := K) 1 (levels B) this
  have h1 := Lean.Grind.Semiring.natCast_one (α := K)
  have h2 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  grind

/-- The step is positive. -/
theorem step_pos {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) : 0 < step a B := by
  have hL := levels_cast_pos (K := K) hB
  unfold step
  have h : a / ((levels B : Nat) : K) * ((levels B : Nat) : K) = a := by grind
  by_cases hs : a / ((levels B : Nat) : K) ≤ 0
  · have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right hs (Std.le_of_lt hL)
    grind
  · grind

/-- `step · levels = α`. -/
theorem step_mul_levels {a : K} {B : Nat} (hB : 2 ≤ B) : step a B * ((levels B : Nat) : K) = a := by
  have := levels_cast_pos (K := K) hB
  unfold step; grind

/-- The step equals `2α / (2^B - 2)`, not the seed's `2α / (2^B - 1)`.
Seed 000: «Step size: Δ = 2α / (2^B - 1)». -/
theorem step_eq_two_mul_div {a : K} {B : Nat} (hB : 2 ≤ B) :
    step a B = 2 * a / (((2 ^ B - 2 : Nat)) : K) := by
  have h := two_mul_levels_add_one (B := B) (by omega)
  have h2 : 2 ^ B - 2 = 2 * levels B := by omega
  have := levels_cast_pos (K := K) hB
  have h3 := Lean.Grind.Semiring.natCast_mul (α := K) 2 (levels B)
  rw [h2, h3]
  unfold step
  grind

/-- The integer cast is monotone (Mathlib's `Int.cast_le`). -/
theorem intCast_le_intCast_of_le {m n : Int} (h : m ≤ n) : ((m : Int) : K) ≤ ((n : Int) : K) := by
  have := Lean.Grind.OrderedRing.nonneg_intCast_of_nonneg (R := K) (n - m) (by omega)
  have e := Lean.Grind.Ring.intCast_sub (α := K) n m
  grind

/-- The cast of `levels` through `Int`. -/
theorem intCast_levels (B : Nat) : (((levels B : Int)) : K) = ((levels B : Nat) : K) :=
  Lean.Grind.Ring.intCast_natCast _

section

variable [IntFloor K]

/-- Every output of the quantizer is a grid point `k · step` with `|k| ≤ levels B`. -/
theorem quantize_mem_grid {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    ∃ k : Int, -(levels B : Int) ≤ k ∧ k ≤ (levels B : Int) ∧
      quantize a B x = step a B * ((k : Int) : K) := by
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hc := clip_in_range (Std.le_of_lt ha) x
  have hL := intCast_levels (K := K) B
  have hn := Lean.Grind.Ring.intCast_neg (α := K) (levels B : Int)
  refine ⟨roundS (clip a x / step a B), ?_, ?_, rfl⟩
  · apply le_roundS_of_le
    apply le_div_of_mul_le_of_pos hs
    grind
  · apply roundS_le_of_le
    apply div_le_of_le_mul_of_pos hs
    grind

/-- Every grid point `k · step` with `|k| ≤ levels B` is an output (it is fixed). -/
theorem quantize_grid_point {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {k : Int}
    (hk₁ : -(levels B : Int) ≤ k) (hk₂ : k ≤ (levels B : Int)) :
    quantize a B (step a B * (k : K)) = step a B * (k : K) := by
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hL := intCast_levels (K := K) B
  have hn := Lean.Grind.Ring.intCast_neg (α := K) (levels B : Int)
  have h₁ := intCast_le_intCast_of_le (K := K) hk₁
  have h₂ := intCast_le_intCast_of_le (K := K) hk₂
  have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h₁ (Std.le_of_lt hs)
  have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h₂ (Std.le_of_lt hs)
  have hcl : clip a (step a B * (k : K)) = step a B * (k : K) :=
    clip_of_in_range (by grind) (by grind)
  unfold quantize
  rw [hcl]
  have e : step a B * (k : K) / step a B = (k : K) := by grind
  rw [e, roundS_intCast]

/-- Range: the output lies in `[-α, α]`. Seed 000: «Range: [-α, α]». -/
theorem quantize_mem_range {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    -a ≤ quantize a B x ∧ quantize a B x ≤ a := by
  obtain ⟨k, hk₁, hk₂, hq⟩ := quantize_mem_grid ha hB x
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hL := intCast_levels (K := K) B
  have hn := Lean.Grind.Ring.intCast_neg (α := K) (levels B : Int)
  have h₁ := intCast_le_intCast_of_le (K := K) hk₁
  have h₂ := intCast_le_intCast_of_le (K := K) hk₂
  have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h₁ (Std.le_of_lt hs)
  have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h₂ (Std.le_of_lt hs)
  rw [hq]
  constructor <;> grind

/-- Inside `[-α, α]` the error is at most half a step: `|x - Q x| ≤ step / 2`. -/
theorem abs_sub_quantize_le {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {x : K}
    (h₁ : -a ≤ x) (h₂ : x ≤ a) : absS (x - quantize a B x) ≤ step a B / 2 := by
  have hs := step_pos ha hB
  have hcl := clip_of_in_range h₁ h₂
  obtain ⟨r₁, r₂⟩ := roundS_sub_le (x / step a B)
  have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left r₁ (Std.le_of_lt hs)
  have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left (Std.le_of_lt r₂) (Std.le_of_lt hs)
  have e : step a B * (x / step a B) = x := by grind
  have hq : quantize a B x = step a B * ((roundS (x / step a B) : Int) : K) := by
    unfold quantize; rw [hcl]
  rw [absS_le_iff, hq]
  constructor <;> grind

/-- Saturation above: `Q x = α` for `x ≥ α`. Seed 000: «Range: [-α, α]». -/
theorem quantize_of_alpha_le {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {x : K} (h : a ≤ x) :
    quantize a B x = a := by
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hL := intCast_levels (K := K) B
  unfold quantize
  rw [clip_of_alpha_le (Std.le_of_lt ha) h]
  have e : a / step a B = (((levels B : Int)) : K) := by grind
  rw [e, roundS_intCast]
  grind

/-- Saturation below: `Q x = -α` for `x ≤ -α`. Seed 000: «Range: [-α, α]». -/
theorem quantize_of_le_neg_alpha {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {x : K}
    (h : x ≤ -a) : quantize a B x = -a := by
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hL := intCast_levels (K := K) B
  have hn := Lean.Grind.Ring.intCast_neg (α := K) (levels B : Int)
  unfold quantize
  rw [clip_of_le_neg_alpha (Std.le_of_lt ha) h]
  have e : -a / step a B = ((-(levels B : Int) : Int) : K) := by grind
  rw [e, roundS_intCast]
  grind

/-- Idempotence: `Q (Q x) = Q x`. -/
theorem quantize_idempotent {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    quantize a B (quantize a B x) = quantize a B x := by
  obtain ⟨k, hk₁, hk₂, hq⟩ := quantize_mem_grid ha hB x
  rw [hq]
  exact quantize_grid_point ha hB hk₁ hk₂

/-- Monotonicity: `x ≤ y → Q x ≤ Q y`. -/
theorem quantize_mono {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {x y : K} (h : x ≤ y) :
    quantize a B x ≤ quantize a B y := by
  have hs := step_pos ha hB
  have hc := clip_mono_x a h
  have hd : clip a x / step a B ≤ clip a y / step a B := by
    apply div_le_of_le_mul_of_pos hs
    have : step a B * (clip a y / step a B) = clip a y := by grind
    grind
  have hr := intCast_le_intCast_of_le (K := K) (roundS_mono hd)
  exact Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hr (Std.le_of_lt hs)

end

/-- Clipping commutes with positive scaling: `clip (c·α) (c·x) = c · clip α x`. -/
theorem clip_mul {a c : K} (ha : 0 ≤ a) (hc : 0 < c) (x : K) :
    clip (c * a) (c * x) = c * clip a x := by
  have hca : 0 ≤ c * a := Lean.Grind.OrderedRing.mul_nonneg (Std.le_of_lt hc) ha
  by_cases h₁ : x ≤ -a
  · have m := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h₁ (Std.le_of_lt hc)
    rw [clip_of_le_neg_alpha ha h₁, clip_of_le_neg_alpha hca (by grind)]
    grind
  · by_cases h₂ : a ≤ x
    · have m := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h₂ (Std.le_of_lt hc)
      rw [clip_of_alpha_le ha h₂, clip_of_alpha_le hca m]
    · have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left
        (show -a ≤ x by grind) (Std.le_of_lt hc)
      have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left
        (show x ≤ a by grind) (Std.le_of_lt hc)
      rw [clip_of_in_range (show -a ≤ x by grind) (show x ≤ a by grind),
        clip_of_in_range (by grind) m₂]

section

variable [IntFloor K]

/-- Positive homogeneity: `Q_{cα}(c·x) = c · Q_α(x)` for `c > 0`. -/
theorem quantize_homogeneous {a c : K} (ha : 0 < a) (hc : 0 < c) {B : Nat} (hB : 2 ≤ B) (x : K) :
    quantize (c * a) B (c * x) = c * quantize a B x := by
  have hs := step_pos ha hB
  have hstep : step (c * a) B = c * step a B := by
    have := levels_cast_pos (K := K) hB
    unfold step; grind
  unfold quantize
  rw [hstep, clip_mul (Std.le_of_lt ha) hc x]
  have e : c * clip a x / (c * step a B) = clip a x / step a B := by grind
  rw [e]
  grind

/-- Oddness off ties: `Q (-x) = -Q x` when `clip α x / step` is not a half-integer.
Seed 000: «Symmetric around 0». -/
theorem quantize_neg {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {x : K}
    (hx : ∀ n : Int, clip a x / step a B ≠ (n : K) + 1 / 2) :
    quantize a B (-x) = -quantize a B x := by
  have hs := step_pos ha hB
  unfold quantize
  rw [clip_neg (Std.le_of_lt ha) x]
  have e : -clip a x / step a B = -(clip a x / step a B) := by grind
  rw [e, roundS_neg hx]
  have := Lean.Grind.Ring.intCast_neg (α := K) (roundS (clip a x / step a B))
  grind

/-- The quantizer is seed 000's formula, `α · round(clip/α · L) / L`.
Seed 000: «Q_\alpha(x) = \alpha \cdot \text{round}». -/
theorem quantize_eq_seed {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    quantize a B x = a * ((roundS (clip a x / a * ((levels B : Nat) : K)) : Int) : K) /
      ((levels B : Nat) : K) := by
  have hL := levels_cast_pos (K := K) hB
  have e : clip a x / step a B = clip a x / a * ((levels B : Nat) : K) := by
    unfold step; grind
  unfold quantize
  rw [e]
  unfold step
  grind

/-- The quantizer fixes `0`. -/
theorem quantize_zero {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) : quantize a B 0 = 0 := by
  have hs := step_pos ha hB
  unfold quantize
  rw [clip_of_in_range (by grind) (by grind)]
  have e : (0 : K) / step a B = ((0 : Int) : K) := by rw [Lean.Grind.Ring.intCast_zero]; grind
  rw [e, roundS_intCast, Lean.Grind.Ring.intCast_zero]
  grind

end

end Quantizer

/-! `Rat` has a floor: the quantizer theorems apply to it. -/

example (x : Rat) : quantize (1 : Rat) 4 (quantize 1 4 x) = quantize 1 4 x :=
  quantize_idempotent (by decide) (by decide) x

end LaAciq
