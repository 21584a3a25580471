/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Quantizer
public import LaAciq.Distribution

/-!
# The quantization MSE of a finite law and its exact decomposition

For a finite law `l` (the empirical law of a weight tensor), `mse l α B = E[(X - Q_α(X))²]` is
the true mean squared error of the quantizer. It splits **exactly** into a clipping part and an
inner part:

* `clipError l α = E[((|X| - α)₊)²]` — seed 001's `E_clip(α) = E[(|X| - α)² · 𝟙_{|X|>α}]`;
* `innerError l α B = E[(X - Q X)²; |X| ≤ α]` — the rounding error of the points inside.

Seed 004 writes `MSE = E_clip + E_quant` with `E_quant = Δ²/12 · P(|X| ≤ α)`: that is a model of
`innerError` (uniform rounding noise), not an identity (see the refutation module). The model
objectives are defined here for the convexity module.

## Main results

* `sq_sub_quantize_eq`: the pointwise identity behind the decomposition.
* `mse_eq_clipError_add_innerError`: `mse = clipError + innerError`, exactly.
* `innerError_le`: `innerError ≤ step²/4 · P(|X| ≤ α)`.
* `mse_scale`: `mse(c·X, c·α) = c² · mse(X, α)` for `c > 0`.
* `clipError_eq_zero_of_abs_le`: no clipping error when the support lies in `[-α, α]`.
* `mse_nonneg`, `clipError_nonneg`, `innerError_nonneg`.
-/

@[expose] public section

namespace LaAciq

section MSE

variable {K : Type} [OrderedField K]

section

variable [IntFloor K]

/-- The true quantization MSE `E[(X - Q_α(X))²]`.
Seed 000: «\mathbb{E}_{X \sim P}[(X - Q_\alpha(X))^2]». -/
noncomputable def mse (l : List (K × K)) (a : K) (B : Nat) : K :=
  expect l (fun x => (x - quantize a B x) ^ 2)

end

/-- The clipping error `E[((|X| - α)₊)²]`.
Seed 001: «E_clip(α) = E[(|X| - α)² · 𝟙_{|X|>α}]». -/
noncomputable def clipError (l : List (K × K)) (a : K) : K :=
  expect l (fun x => maxS (absS x - a) 0 ^ 2)

section

variable [IntFloor K]

/-- The error of the points inside `[-α, α]`: `E[(X - Q X)²; |X| ≤ α]`.
Seed 004: «Inside: only quantization error contributes». -/
noncomputable def innerError (l : List (K × K)) (a : K) (B : Nat) : K :=
  expect l (fun x => if absS x ≤ a then (x - quantize a B x) ^ 2 else 0)

end

/-- `P(|X| ≤ α)`. Seed 004: «(μ {ω | |X ω| ≤ α}).toReal». -/
noncomputable def probInside (l : List (K × K)) (a : K) : K :=
  expect l (fun x => if absS x ≤ a then 1 else 0)

/-- Seed 004's model: clipping error plus `Δ²/12 · P(|X| ≤ α)` with `Δ` the quantizer's step.
Seed 004: «quantizationNoise (α : ⁄) (B : BitWidth) : ⁄ :=». -/
noncomputable def seed004MSE (l : List (K × K)) (a : K) (B : Nat) : K :=
  clipError l a + step a B ^ 2 / 12 * probInside l a

/-- The Banner-type model: clipping error plus `c · α²` (uniform noise `Δ²/12` with `Δ`
proportional to `α`; `c = 1/(3·4^B)` for Banner's `Δ = 2α/2^B`).
Seed 002: «MSE(α) = E[(X - Q_α(X))²] = E_clip(α) + E_quant(α)». -/
noncomputable def modelMSE (l : List (K × K)) (c a : K) : K := clipError l a + c * a ^ 2

section

variable [IntFloor K]

/-- The pointwise identity: `(x - Q x)² = ((|x| - α)₊)² + 𝟙_{|x| ≤ α} (x - Q x)²`.
Seed 004: «Split integral: inside vs outside [-α, α]». -/
theorem sq_sub_quantize_eq {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    (x - quantize a B x) ^ 2 =
      maxS (absS x - a) 0 ^ 2 + (if absS x ≤ a then (x - quantize a B x) ^ 2 else 0) := by
  by_cases h₁ : a ≤ x
  · rw [quantize_of_alpha_le ha hB h₁]
    have e₁ := absS_of_nonneg (show 0 ≤ x by grind)
    by_cases h : absS x ≤ a
    · rw [if_pos h, maxS_eq_right (show absS x - a ≤ 0 by grind)]
      grind
    · rw [if_neg h, maxS_eq_left (show 0 ≤ absS x - a by grind)]
      grind
  · by_cases h₂ : x ≤ -a
    · rw [quantize_of_le_neg_alpha ha hB h₂]
      have e₁ := absS_of_nonpos (show x ≤ 0 by grind)
      by_cases h : absS x ≤ a
      · rw [if_pos h, maxS_eq_right (show absS x - a ≤ 0 by grind)]
        grind
      · rw [if_neg h, maxS_eq_left (show 0 ≤ absS x - a by grind)]
        grind
    · have hin : absS x ≤ a := absS_le_iff.mpr ⟨by grind, by grind⟩
      have hz : maxS (absS x - a) 0 = 0 := maxS_eq_right (by grind)
      rw [if_pos hin, hz]
      grind

/-- **The MSE decomposition**, exactly: `mse = clipError + innerError`.
Seed 004: «`mse_decomposition` | MSE = E_clip + E_quant». -/
theorem mse_eq_clipError_add_innerError {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B)
    (l : List (K × K)) : mse l a B = clipError l a + innerError l a B := by
  unfold mse clipError innerError
  rw [← expect_add]
  exact expect_congr (fun p _ => sq_sub_quantize_eq ha hB p.1)

/-- The inner error is at most `step²/4 · P(|X| ≤ α)`.
Seed 004: «Quantization error is uniformly distributed on [-Δ/2, Δ/2]». -/
theorem innerError_le {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {l : List (K × K)}
    (hw : ∀ p ∈ l, 0 ≤ p.2) : innerError l a B ≤ step a B ^ 2 / 4 * probInside l a := by
  unfold innerError probInside
  rw [← expect_const_mul]
  apply expect_mono hw
  intro x
  try dsimp only
  by_cases h : absS x ≤ a
  · rw [if_pos h, if_pos h]
    have hr : -a ≤ x ∧ x ≤ a := absS_le_iff.mp h
    have := sq_le_sq_of_abs_le (abs_sub_quantize_le ha hB hr.1 hr.2)
    grind
  · rw [if_neg h, if_neg h]
    grind

/-- Scaling: `mse(c·X, c·α) = c² · mse(X, α)` for `c > 0`. -/
theorem mse_scale {a c : K} (ha : 0 < a) (hc : 0 < c) {B : Nat} (hB : 2 ≤ B)
    (l : List (K × K)) :
    mse (l.map (fun p => (c * p.1, p.2))) (c * a) B = c ^ 2 * mse l a B := by
  unfold mse
  rw [expect_scale, ← expect_const_mul]
  congr 1
  funext x
  rw [quantize_homogeneous ha hc hB x]
  grind

end

/-- No clipping error when the support lies in `[-α, α]`.
Seed 004: «`clippingError_antitone` | ∂E_c/∂α < 0». -/
theorem clipError_eq_zero_of_abs_le {a : K} {l : List (K × K)} (h : ∀ p ∈ l, absS p.1 ≤ a) :
    clipError l a = 0 := by
  unfold clipError
  rw [expect_congr (g := fun _ => 0) (fun p hp => by
    have := h p hp
    show maxS (absS p.1 - a) 0 ^ 2 = 0
    rw [maxS_eq_right (show absS p.1 - a ≤ 0 by grind)]
    grind), expect_const_eq_mul_weight]
  grind

section

variable [IntFloor K]

/-- The MSE is non-negative. -/
theorem mse_nonneg {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (a : K) (B : Nat) :
    0 ≤ mse l a B :=
  expect_nonneg hw (fun _ => Lean.Grind.OrderedRing.sq_nonneg)

end

/-- The clipping error is non-negative. Seed 001: «E_clip(α) = E[(|X| - α)² · 𝟙_{|X|>α}]». -/
theorem clipError_nonneg {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (a : K) :
    0 ≤ clipError l a :=
  expect_nonneg hw (fun _ => Lean.Grind.OrderedRing.sq_nonneg)

section

variable [IntFloor K]

/-- The inner error is non-negative. -/
theorem innerError_nonneg {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (a : K) (B : Nat) :
    0 ≤ innerError l a B :=
  expect_nonneg hw (fun x => by
    have := Lean.Grind.OrderedRing.sq_nonneg (a := x - quantize a B x)
    try dsimp only
    split <;> grind)

end

end MSE

end LaAciq
