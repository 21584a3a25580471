/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Law
public import LaAciq.Optimality
public import LaAciq.Mixture

/-!
# The clipping theory for every law

The expectation-level theorems of `LaAciq.MSE`, `LaAciq.Convexity`, `LaAciq.Optimality`,
`LaAciq.Distribution` and `LaAciq.Mixture`, restated and proved for every `P : Law K`: every
model of the interface `LaAciq.Law` (finite laws through `Law.ofFinite`, checked; Lebesgue
integration against a probability measure with finite moments, written, not checked). The
proofs are the finite ones with linearity and monotonicity of `E` in place of list induction,
plus the integrability side conditions, each discharged by domination from `x²` (or `x⁴`).

Mixtures have `n` components: `Law.mixture l` is the law `Σ wᵢ Pᵢ` of a list `l` of
`(weight, law)` pairs with non-negative weights summing to one; it is again a `Law`.

## Main definitions

* `LaAciq.Law.mse`, `LaAciq.Law.clipError`: `E[(X - Q X)²]` and `E[((|X| - α)₊)²]`.
* `LaAciq.Law.innerError`, `LaAciq.Law.probInside`: `E[(X - Q X)²; |X| ≤ α]` and `P(|X| ≤ α)`.
* `LaAciq.Law.modelMSE`: the Banner-type model `clipError + c·α²`.
* `LaAciq.Law.mean`, `LaAciq.Law.cmoment`: mean and central moments.
* `LaAciq.Law.variance`, `LaAciq.Law.kurtosis`: variance and excess kurtosis.
* `LaAciq.Law.wsum`, `LaAciq.Law.mixture`: weighted sums over a list and the `n`-component
  mixture.

## Main results

* `LaAciq.Law.mse_eq_clipError_add_innerError`: `mse = clipError + innerError`, exactly.
* `LaAciq.Law.innerError_le`: `innerError ≤ step²/4 · P(|X| ≤ α)` (no moment needed).
* `LaAciq.Law.convexOn_clipError`, `LaAciq.Law.clipError_antitone`.
* `LaAciq.Law.convexOn_modelMSE`, `LaAciq.Law.strictConvexOn_modelMSE`.
* `LaAciq.Law.modelMSE_minimizer_unique`: at most one minimizer for `c > 0`.
* `LaAciq.Law.modelMSE_minimizer_fixed_point`: `c · α = E[(|X| - α)₊]` at a global minimizer.
* `LaAciq.Law.modelMSE_minimizer_fixed_point'`: `α · (c + P(|X| > α)) = E[|X|; |X| > α]`.
* `LaAciq.Law.E_sq_shift`, `LaAciq.Law.E_pow_four_shift`: moments about another point.
* `LaAciq.Law.variance_eq`, `LaAciq.Law.sq_variance_le_fourth`: `Var = E X² - μ²`, `m2² ≤ m4`.
* `LaAciq.Law.neg_two_le_kurtosis`: excess kurtosis is at least `-2`.
* `LaAciq.Law.variance_mixture`: the law of total variance for `n` components.
* `LaAciq.Law.cmoment_four_mixture`: the mixture's fourth central moment, `n` components.
* `LaAciq.Law.cmoment_four_mixture_eq_seed004_add`: seed 004's numerator plus `4 Σ w m3 δ`.
* `LaAciq.Law.cmoment_four_mixture_eq_seed004_iff`: seed 004 is exact iff `Σ w m3 δ = 0`.
* Finite-law corollaries through `Law.ofFinite` (one proof per fact: the finite statement has the
  same hypotheses, an atom list with `IsDist`): `LaAciq.variance_eq`,
  `LaAciq.sq_variance_le_fourth`, `LaAciq.modelMSE_le_quadratic`,
  `LaAciq.modelMSE_minimizer_fixed_point`, `LaAciq.modelMSE_minimizer_fixed_point'`,
  `LaAciq.neg_two_le_kurtosis_of_isDist`.

## Finite/law pairs that keep two proofs

* The finite theorem is more general, so nothing is derived from the law one: its weights need
  only be non-negative (`∀ p ∈ l, 0 ≤ p.2`), not sum to 1 (the importance-weighted solver uses
  unnormalised weights): `mse_eq_clipError_add_innerError` (no weight hypothesis at all),
  `innerError_le`, `convexOn_clipError`, `clipError_antitone`, `convexOn_modelMSE`,
  `strictConvexOn_modelMSE`, `modelMSE_minimizer_unique` (in `LaAciq.MSE`,
  `LaAciq.Convexity`), each beside `Law.<same name>`.
* Same hypotheses, kept because modules below this one use them (`LaAciq.Mixture`'s
  two-component formulas, which `LaAciq.Refutations` needs): `expect_sub_mean`,
  `expect_sq_shift`, `expect_pow_four_shift` beside `Law.E_sub_mean`, `Law.E_sq_shift`,
  `Law.E_pow_four_shift`.
-/

@[expose] public section

namespace LaAciq

namespace Law

variable {K : Type} [OrderedField K]

section Definitions

variable (P : Law K)

/-- The true quantization MSE `E[(X - Q_α(X))²]` of a law.
Seed 000: «\mathbb{E}_{X \sim P}[(X - Q_\alpha(X))^2]». -/
noncomputable def mse [IntFloor K] (a : K) (B : Nat) : K :=
  P.E (fun x => (x - quantize a B x) ^ 2)

/-- The clipping error `E[((|X| - α)₊)²]`.
Seed 001: «E_clip(α) = E[(|X| - α)² · 𝟙_{|X|>α}]». -/
noncomputable def clipError (a : K) : K := P.E (fun x => maxS (absS x - a) 0 ^ 2)

/-- The error of the points inside `[-α, α]`: `E[(X - Q X)²; |X| ≤ α]`.
Seed 004: «Inside: only quantization error contributes». -/
noncomputable def innerError [IntFloor K] (a : K) (B : Nat) : K :=
  P.E (fun x => if absS x ≤ a then (x - quantize a B x) ^ 2 else 0)

/-- `P(|X| ≤ α)`. Seed 004: «(μ {ω | |X ω| ≤ α}).toReal». -/
noncomputable def probInside (a : K) : K := P.E (fun x => if absS x ≤ a then 1 else 0)

/-- The Banner-type model `clipError + c · α²`.
Seed 002: «MSE(α) = E[(X - Q_α(X))²] = E_clip(α) + E_quant(α)». -/
noncomputable def modelMSE (c a : K) : K := P.clipError a + c * a ^ 2

/-- The mean `E X`. Seed 001: «κ_l = E[(W_l - μ_l)⁴] / σ_l⁴ - 3». -/
noncomputable def mean : K := P.E (fun x => x)

/-- The `k`-th central moment `E[(X - μ)^k]`. Seed 001: «κ_l = E[(W_l - μ_l)⁴] / σ_l⁴ - 3». -/
noncomputable def cmoment (k : Nat) : K := P.E (fun x => (x - P.mean) ^ k)

/-- The variance. Seed 001: «κ_l = E[(W_l - μ_l)⁴] / σ_l⁴ - 3». -/
noncomputable def variance : K := P.cmoment 2

/-- Excess kurtosis `m4 / m2² - 3`. Seed 001: «κ_l = E[(W_l - μ_l)⁴] / σ_l⁴ - 3». -/
noncomputable def kurtosis : K := P.cmoment 4 / P.cmoment 2 ^ 2 - 3

end Definitions

/-! ### Pointwise bounds used for domination -/

section Bounds

/-- `0 ≤ (|x| - α)₊`. -/
theorem posPart_nonneg (x a : K) : 0 ≤ maxS (absS x - a) 0 :=
  le_maxS_right _ _

/-- `(|x| - α)₊ ≤ x² + α² + 2`: the positive part is dominated by a second moment. -/
theorem posPart_le (x a : K) : maxS (absS x - a) 0 ≤ x ^ 2 + (a ^ 2 + 2) := by
  have h₁ := Lean.Grind.OrderedRing.sq_nonneg (a := absS x - 1 / 2)
  have h₂ := absS_sq x
  have h₃ := Lean.Grind.OrderedRing.sq_nonneg (a := a + 1 / 2)
  have h₄ := Lean.Grind.OrderedRing.sq_nonneg (a := x)
  have h₅ := Lean.Grind.OrderedRing.sq_nonneg (a := a)
  have := maxS_cases (absS x - a) 0
  grind

/-- `((|x| - α)₊)² ≤ 2x² + 2α²`: the clipping residual is dominated by a second moment. -/
theorem sq_posPart_le (x a : K) : maxS (absS x - a) 0 ^ 2 ≤ 2 * x ^ 2 + 2 * a ^ 2 := by
  have h₁ := Lean.Grind.OrderedRing.sq_nonneg (a := absS x + a)
  have h₂ := absS_sq x
  have h₃ := Lean.Grind.OrderedRing.sq_nonneg (a := x)
  have h₄ := Lean.Grind.OrderedRing.sq_nonneg (a := a)
  rcases maxS_cases (absS x - a) 0 with ⟨_, e⟩ | ⟨_, e⟩ <;> rw [e] <;> grind

/-- The positive part as two tail pieces: `(|x| - α)₊ = |x|·𝟙_{|x|>α} - α·𝟙_{|x|>α}`. -/
theorem posPart_eq_tail (a x : K) : maxS (absS x - a) 0 =
    (if absS x ≤ a then 0 else absS x) + (-a) * (if absS x ≤ a then 0 else 1) := by
  have := maxS_cases (absS x - a) 0
  grind

/-- The indicator of `|x| ≤ α` is non-negative. -/
theorem indicator_nonneg (a x : K) : 0 ≤ (if absS x ≤ a then (1 : K) else 0) := by
  have := Lean.Grind.OrderedRing.zero_le_one (R := K)
  split <;> grind

/-- The indicator of `|x| ≤ α` is at most one. -/
theorem indicator_le_one (a x : K) : (if absS x ≤ a then (1 : K) else 0) ≤ 1 := by
  have := Lean.Grind.OrderedRing.zero_le_one (R := K)
  split <;> grind

/-- The tail indicator `𝟙_{|x| > α}` is non-negative. -/
theorem tailIndicator_nonneg (a x : K) : 0 ≤ (if absS x ≤ a then (0 : K) else 1) := by
  have := Lean.Grind.OrderedRing.zero_le_one (R := K)
  split <;> grind

/-- The tail indicator is at most one. -/
theorem tailIndicator_le_one (a x : K) : (if absS x ≤ a then (0 : K) else 1) ≤ 1 := by
  have := Lean.Grind.OrderedRing.zero_le_one (R := K)
  split <;> grind

/-- `|x|·𝟙_{|x| > α}` is non-negative. -/
theorem tailAbs_nonneg (a x : K) : 0 ≤ (if absS x ≤ a then 0 else absS x) := by
  have := absS_nonneg x
  split <;> grind

/-- `|x|·𝟙_{|x| > α} ≤ x² + 1`. -/
theorem tailAbs_le (a x : K) : (if absS x ≤ a then 0 else absS x) ≤ x ^ 2 + 1 := by
  have h₁ := absS_le_sq_add_one x
  have h₂ := Lean.Grind.OrderedRing.sq_nonneg (a := x)
  split <;> grind

variable [IntFloor K]

/-- Inside `[-α, α]`, `(x - Q x)² ≤ (step/2)²`. -/
theorem sq_sub_quantize_le_of_abs_le {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {x : K}
    (h : absS x ≤ a) : (x - quantize a B x) ^ 2 ≤ (step a B / 2) ^ 2 := by
  have hr : -a ≤ x ∧ x ≤ a := by
    exact absS_le_iff.mp h
  exact sq_le_sq_of_abs_le (abs_sub_quantize_le ha hB hr.1 hr.2)

/-- The inner integrand is non-negative. -/
theorem innerPart_nonneg (a : K) (B : Nat) (x : K) :
    0 ≤ (if absS x ≤ a then (x - quantize a B x) ^ 2 else 0) := by
  have := Lean.Grind.OrderedRing.sq_nonneg (a := x - quantize a B x)
  split <;> grind

/-- The inner integrand is at most `(step/2)²`. -/
theorem innerPart_le_const {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    (if absS x ≤ a then (x - quantize a B x) ^ 2 else 0) ≤ (step a B / 2) ^ 2 := by
  by_cases h : absS x ≤ a
  · rw [if_pos h]
    exact sq_sub_quantize_le_of_abs_le ha hB h
  · rw [if_neg h]
    exact Lean.Grind.OrderedRing.sq_nonneg

/-- Pointwise form of the inner-error bound: `𝟙(x - Q x)² ≤ step²/4 · 𝟙`. -/
theorem innerPart_le {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    (if absS x ≤ a then (x - quantize a B x) ^ 2 else 0)
      ≤ step a B ^ 2 / 4 * (if absS x ≤ a then 1 else 0) := by
  by_cases h : absS x ≤ a
  · rw [if_pos h, if_pos h]
    have := sq_sub_quantize_le_of_abs_le ha hB h
    grind
  · rw [if_neg h, if_neg h]
    grind

end Bounds

/-! ### Measurability and integrability of the integrands -/

section Integrability

variable (P : Law K)

/-- The indicator of `|x| ≤ α` is measurable. -/
theorem measurable_indicator (a : K) :
    P.Measurable (fun x => if absS x ≤ a then (1 : K) else 0) :=
  P.measurable_ite_le (P.measurable_absS P.measurable_id) (P.measurable_const a)
    (P.measurable_const 1) (P.measurable_const 0)

/-- The indicator of `|x| ≤ α` is integrable (it is bounded). -/
theorem integrable_indicator (a : K) :
    P.Integrable (fun x => if absS x ≤ a then (1 : K) else 0) :=
  P.integrable_of_nonneg_of_le (P.measurable_indicator a) (P.integrable_const 1)
    (fun x => indicator_nonneg a x) (fun x => indicator_le_one a x)

/-- The tail indicator `𝟙_{|x| > α}` is integrable. -/
theorem integrable_tailIndicator (a : K) :
    P.Integrable (fun x => if absS x ≤ a then (0 : K) else 1) :=
  P.integrable_of_nonneg_of_le
    (P.measurable_ite_le (P.measurable_absS P.measurable_id) (P.measurable_const a)
      (P.measurable_const 0) (P.measurable_const 1))
    (P.integrable_const 1) (fun x => tailIndicator_nonneg a x) (fun x => tailIndicator_le_one a x)

/-- `|X|·𝟙_{|X| > α}` is integrable under a second moment. -/
theorem integrable_tailAbs (h : P.HasMoment2) (a : K) :
    P.Integrable (fun x => if absS x ≤ a then 0 else absS x) := by
  have h2 : P.Integrable (fun x => x ^ 2) := h
  have hg : P.Integrable (fun x => x ^ 2 + 1) := P.integrable_add h2 (P.integrable_const 1)
  exact P.integrable_of_nonneg_of_le
    (P.measurable_ite_le (P.measurable_absS P.measurable_id) (P.measurable_const a)
      (P.measurable_const 0) (P.measurable_absS P.measurable_id))
    hg (fun x => tailAbs_nonneg a x) (fun x => tailAbs_le a x)

/-- `(|X| - α)₊` is integrable under a second moment. -/
theorem integrable_posPart (h : P.HasMoment2) (a : K) :
    P.Integrable (fun x => maxS (absS x - a) 0) := by
  have h2 : P.Integrable (fun x => x ^ 2) := h
  have hg : P.Integrable (fun x => x ^ 2 + (a ^ 2 + 2)) :=
    P.integrable_add h2 (P.integrable_const (a ^ 2 + 2))
  exact P.integrable_of_nonneg_of_le (P.measurable_posPart a) hg
    (fun x => posPart_nonneg x a) (fun x => posPart_le x a)

/-- `((|X| - α)₊)²` is integrable under a second moment. -/
theorem integrable_clipPart (h : P.HasMoment2) (a : K) :
    P.Integrable (fun x => maxS (absS x - a) 0 ^ 2) := by
  have h2 : P.Integrable (fun x => x ^ 2) := h
  have hg : P.Integrable (fun x => 2 * x ^ 2 + 2 * a ^ 2) :=
    P.integrable_add (P.integrable_const_mul 2 h2) (P.integrable_const (2 * a ^ 2))
  exact P.integrable_of_nonneg_of_le (P.measurable_sq (P.measurable_posPart a)) hg
    (fun x => Lean.Grind.OrderedRing.sq_nonneg (a := maxS (absS x - a) 0))
    (fun x => sq_posPart_le x a)

variable [IntFloor K]

/-- The quantizer is monotone, hence measurable. -/
theorem measurable_quantize {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) :
    P.Measurable (fun x => quantize a B x) :=
  P.measurable_comp_mono (φ := quantize a B) (fun _ _ hxy => quantize_mono ha hB hxy)
    P.measurable_id

/-- The inner integrand `𝟙_{|x| ≤ α} (x - Q x)²` is measurable. -/
theorem measurable_innerPart {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) :
    P.Measurable (fun x => if absS x ≤ a then (x - quantize a B x) ^ 2 else 0) :=
  P.measurable_ite_le (P.measurable_absS P.measurable_id) (P.measurable_const a)
    (P.measurable_sq (P.measurable_sub P.measurable_id (P.measurable_quantize ha hB)))
    (P.measurable_const 0)

/-- The inner integrand is integrable for every law (it is bounded by `(step/2)²`). -/
theorem integrable_innerPart {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) :
    P.Integrable (fun x => if absS x ≤ a then (x - quantize a B x) ^ 2 else 0) :=
  P.integrable_of_nonneg_of_le (P.measurable_innerPart ha hB)
    (P.integrable_const ((step a B / 2) ^ 2))
    (fun x => innerPart_nonneg a B x) (fun x => innerPart_le_const ha hB x)

end Integrability

/-! ### The decomposition and the inner-error bound -/

section MSE

variable [IntFloor K] (P : Law K)

/-- **The MSE decomposition** for every law with a second moment:
`mse = clipError + innerError`, exactly. -/
theorem mse_eq_clipError_add_innerError (h : P.HasMoment2) {a : K} (ha : 0 < a) {B : Nat}
    (hB : 2 ≤ B) : P.mse a B = P.clipError a + P.innerError a B := by
  have e : P.E (fun x => (x - quantize a B x) ^ 2) = P.E (fun x => maxS (absS x - a) 0 ^ 2
      + (if absS x ≤ a then (x - quantize a B x) ^ 2 else 0)) :=
    P.E_congr (fun x => sq_sub_quantize_eq ha hB x)
  have s : P.E (fun x => maxS (absS x - a) 0 ^ 2
      + (if absS x ≤ a then (x - quantize a B x) ^ 2 else 0))
      = P.E (fun x => maxS (absS x - a) 0 ^ 2)
        + P.E (fun x => if absS x ≤ a then (x - quantize a B x) ^ 2 else 0) :=
    P.E_add (P.integrable_clipPart h a) (P.integrable_innerPart ha hB)
  unfold LaAciq.Law.mse LaAciq.Law.clipError LaAciq.Law.innerError
  rw [e, s]

/-- The inner error is at most `step²/4 · P(|X| ≤ α)`, for every law (no moment needed). -/
theorem innerError_le {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) :
    P.innerError a B ≤ step a B ^ 2 / 4 * P.probInside a := by
  have h₁ : P.E (fun x => if absS x ≤ a then (x - quantize a B x) ^ 2 else 0)
      ≤ P.E (fun x => step a B ^ 2 / 4 * (if absS x ≤ a then 1 else 0)) :=
    P.E_mono (P.integrable_innerPart ha hB)
      (P.integrable_const_mul (step a B ^ 2 / 4) (P.integrable_indicator a))
      (fun x => innerPart_le ha hB x)
  have h₂ : P.E (fun x => step a B ^ 2 / 4 * (if absS x ≤ a then 1 else 0))
      = step a B ^ 2 / 4 * P.E (fun x => if absS x ≤ a then 1 else 0) :=
    P.E_const_mul (step a B ^ 2 / 4) (fun x => if absS x ≤ a then 1 else 0)
  unfold LaAciq.Law.innerError LaAciq.Law.probInside
  grind

end MSE

/-! ### Convexity, uniqueness and the first-order condition -/

section Convexity

variable (P : Law K)

/-- The clipping error is convex in `α`, for every law with a second moment. -/
theorem convexOn_clipError (h : P.HasMoment2) :
    ConvexOn (fun _ => True) (fun a => P.clipError a) := by
  intro x y _ _ s t hs ht hst
  have ix := P.integrable_clipPart h x
  have iy := P.integrable_clipPart h y
  have h₁ : P.E (fun z => maxS (absS z - (s * x + t * y)) 0 ^ 2)
      ≤ P.E (fun z => s * maxS (absS z - x) 0 ^ 2 + t * maxS (absS z - y) 0 ^ 2) :=
    P.E_mono (P.integrable_clipPart h (s * x + t * y))
      (P.integrable_add (P.integrable_const_mul s ix) (P.integrable_const_mul t iy))
      (fun z => convexOn_sq_posPart (absS z) x y trivial trivial s t hs ht hst)
  have h₂ : P.E (fun z => s * maxS (absS z - x) 0 ^ 2 + t * maxS (absS z - y) 0 ^ 2)
      = P.E (fun z => s * maxS (absS z - x) 0 ^ 2) + P.E (fun z => t * maxS (absS z - y) 0 ^ 2) :=
    P.E_add (P.integrable_const_mul s ix) (P.integrable_const_mul t iy)
  have h₃ : P.E (fun z => s * maxS (absS z - x) 0 ^ 2)
      = s * P.E (fun z => maxS (absS z - x) 0 ^ 2) :=
    P.E_const_mul s (fun z => maxS (absS z - x) 0 ^ 2)
  have h₄ : P.E (fun z => t * maxS (absS z - y) 0 ^ 2)
      = t * P.E (fun z => maxS (absS z - y) 0 ^ 2) :=
    P.E_const_mul t (fun z => maxS (absS z - y) 0 ^ 2)
  show P.clipError (s * x + t * y) ≤ s * P.clipError x + t * P.clipError y
  unfold LaAciq.Law.clipError
  grind

/-- The clipping error is antitone in `α`, for every law with a second moment. -/
theorem clipError_antitone (h : P.HasMoment2) {x y : K} (hxy : x ≤ y) :
    P.clipError y ≤ P.clipError x :=
  P.E_mono (P.integrable_clipPart h y) (P.integrable_clipPart h x)
    (fun z => sq_posPart_antitone (absS z) hxy)

/-- The model MSE `clipError + c·α²` is convex for `c ≥ 0`. -/
theorem convexOn_modelMSE (h : P.HasMoment2) {c : K} (hc : 0 ≤ c) :
    ConvexOn (fun _ => True) (fun a => P.modelMSE c a) := by
  intro x y hx hy s t hs ht hst
  have h₁ := P.convexOn_clipError h x y hx hy s t hs ht hst
  have h₂ := convexOn_const_mul_sq hc x y hx hy s t hs ht hst
  unfold LaAciq.Law.modelMSE
  grind

/-- With `c > 0` the model MSE is strictly convex. -/
theorem strictConvexOn_modelMSE (h : P.HasMoment2) {c : K} (hc : 0 < c) :
    StrictConvexOn (fun _ => True) (fun a => P.modelMSE c a) := by
  intro x y hx hy hxy s t hs ht hst
  have h₁ := P.convexOn_clipError h x y hx hy s t (Std.le_of_lt hs) (Std.le_of_lt ht) hst
  have h₂ := strictConvexOn_const_mul_sq hc x y hx hy hxy s t hs ht hst
  unfold LaAciq.Law.modelMSE
  grind

/-- At most one minimizer of the model MSE when `c > 0`, for every law with a second moment. -/
theorem modelMSE_minimizer_unique (h : P.HasMoment2) {c : K} (hc : 0 < c) {x y : K}
    (hx : ∀ z, P.modelMSE c x ≤ P.modelMSE c z) (hy : ∀ z, P.modelMSE c y ≤ P.modelMSE c z) :
    x = y := by
  by_cases hxy : x = y
  · exact hxy
  · have h' := P.strictConvexOn_modelMSE h hc x y trivial trivial hxy (1 / 2) (1 / 2)
      (by grind) (by grind) (by grind)
    have := hx (1 / 2 * x + 1 / 2 * y)
    have := hy (1 / 2 * x + 1 / 2 * y)
    grind

/-- The model MSE lies below a quadratic in the shift `t`:
`f(α + t) ≤ f(α) - 2t·E[(|X| - α)₊] + t² + c((α + t)² - α²)`. -/
theorem modelMSE_le_quadratic (h : P.HasMoment2) (c a t : K) :
    P.modelMSE c (a + t) ≤ P.modelMSE c a - 2 * t * P.E (fun x => maxS (absS x - a) 0)
      + t ^ 2 + c * ((a + t) ^ 2 - a ^ 2) := by
  have iA := P.integrable_clipPart h a
  have iP := P.integrable_posPart h a
  have iL : P.Integrable (fun x => (-2 * t) * maxS (absS x - a) 0) :=
    P.integrable_const_mul (-2 * t) iP
  have iC : P.Integrable (fun _ => t ^ 2) := P.integrable_const (t ^ 2)
  have iR : P.Integrable (fun x => (-2 * t) * maxS (absS x - a) 0 + t ^ 2) :=
    P.integrable_add iL iC
  have h₁ : P.E (fun x => maxS (absS x - (a + t)) 0 ^ 2)
      ≤ P.E (fun x => maxS (absS x - a) 0 ^ 2 + ((-2 * t) * maxS (absS x - a) 0 + t ^ 2)) :=
    P.E_mono (P.integrable_clipPart h (a + t)) (P.integrable_add iA iR)
      (fun x => by have := sq_posPart_sub_le (absS x) a t; grind)
  have e₁ : P.E (fun x => maxS (absS x - a) 0 ^ 2 + ((-2 * t) * maxS (absS x - a) 0 + t ^ 2))
      = P.E (fun x => maxS (absS x - a) 0 ^ 2)
        + P.E (fun x => (-2 * t) * maxS (absS x - a) 0 + t ^ 2) :=
    P.E_add iA iR
  have e₂ : P.E (fun x => (-2 * t) * maxS (absS x - a) 0 + t ^ 2)
      = P.E (fun x => (-2 * t) * maxS (absS x - a) 0) + P.E (fun _ => t ^ 2) :=
    P.E_add iL iC
  have e₃ : P.E (fun x => (-2 * t) * maxS (absS x - a) 0)
      = (-2 * t) * P.E (fun x => maxS (absS x - a) 0) :=
    P.E_const_mul (-2 * t) (fun x => maxS (absS x - a) 0)
  have e₄ : P.E (fun _ => t ^ 2) = t ^ 2 := P.E_const (t ^ 2)
  unfold LaAciq.Law.modelMSE LaAciq.Law.clipError
  grind

/-- **First-order condition of the model MSE, for every law with a second moment**: a global
minimizer `α` of `E[((|X| - α)₊)²] + c·α²` (`c ≥ 0`) satisfies `c · α = E[(|X| - α)₊]`. -/
theorem modelMSE_minimizer_fixed_point (h : P.HasMoment2) {c : K} (hc : 0 ≤ c) {a : K}
    (ha : ∀ z, P.modelMSE c a ≤ P.modelMSE c z) :
    c * a = P.E (fun x => maxS (absS x - a) 0) := by
  have hK : (0 : K) < 1 + c := by
    have := Lean.Grind.OrderedRing.zero_lt_one (R := K); grind
  have hD := eq_zero_of_forall_nonneg hK
    (D := 2 * (c * a - P.E (fun x => maxS (absS x - a) 0))) (fun t => by
      have h1 := P.modelMSE_le_quadratic h c a t
      have h2 := ha (a + t)
      grind)
  grind

/-- The fixed-point form `α · (c + P(|X| > α)) = E[|X|; |X| > α]` (OCTAV's iteration) at a
global minimizer of the model MSE, for every law with a second moment. -/
theorem modelMSE_minimizer_fixed_point' (h : P.HasMoment2) {c : K} (hc : 0 ≤ c) {a : K}
    (ha : ∀ z, P.modelMSE c a ≤ P.modelMSE c z) :
    a * (c + P.E (fun x => if absS x ≤ a then 0 else 1))
      = P.E (fun x => if absS x ≤ a then 0 else absS x) := by
  have hf := P.modelMSE_minimizer_fixed_point h hc ha
  have i₁ : P.Integrable (fun x => if absS x ≤ a then 0 else absS x) :=
    P.integrable_tailAbs h a
  have i₂ : P.Integrable (fun x => (-a) * (if absS x ≤ a then 0 else 1)) :=
    P.integrable_const_mul (-a) (P.integrable_tailIndicator a)
  have e₁ : P.E (fun x => maxS (absS x - a) 0) = P.E (fun x =>
      (if absS x ≤ a then 0 else absS x) + (-a) * (if absS x ≤ a then 0 else 1)) :=
    P.E_congr (fun x => posPart_eq_tail a x)
  have e₂ : P.E (fun x =>
      (if absS x ≤ a then 0 else absS x) + (-a) * (if absS x ≤ a then 0 else 1))
      = P.E (fun x => if absS x ≤ a then 0 else absS x)
        + P.E (fun x => (-a) * (if absS x ≤ a then 0 else 1)) :=
    P.E_add i₁ i₂
  have e₃ : P.E (fun x => (-a) * (if absS x ≤ a then 0 else 1))
      = (-a) * P.E (fun x => if absS x ≤ a then 0 else 1) :=
    P.E_const_mul (-a) (fun x => if absS x ≤ a then 0 else 1)
  grind

end Convexity

/-! ### Moments -/

section Moments

variable (P : Law K)

/-- `(X - c)²` is integrable under a second moment. -/
theorem integrable_sub_sq (h : P.HasMoment2) (c : K) :
    P.Integrable (fun x => (x - c) ^ 2) := by
  have h2 : P.Integrable (fun x => x ^ 2) := h
  have h1 := P.integrable_id_of_hasMoment2 h
  have i : P.Integrable (fun x => x ^ 2 + (-2 * c * x + c ^ 2)) :=
    P.integrable_add h2 (P.integrable_add (P.integrable_const_mul (-2 * c) h1)
      (P.integrable_const (c ^ 2)))
  exact P.integrable_congr i (fun x => by grind)

/-- `(X - c)³` is integrable under a fourth moment. -/
theorem integrable_sub_pow_three (h : P.HasMoment4) (c : K) :
    P.Integrable (fun x => (x - c) ^ 3) := by
  have h3 := P.integrable_pow_three_of_hasMoment4 h
  have h2 := P.integrable_sq_of_hasMoment4 h
  have h1 := P.integrable_id_of_hasMoment2 (P.hasMoment2_of_hasMoment4 h)
  have i : P.Integrable (fun x => x ^ 3 + (-3 * c * x ^ 2 + (3 * c ^ 2 * x + -c ^ 3))) :=
    P.integrable_add h3 (P.integrable_add (P.integrable_const_mul (-3 * c) h2)
      (P.integrable_add (P.integrable_const_mul (3 * c ^ 2) h1) (P.integrable_const (-c ^ 3))))
  exact P.integrable_congr i (fun x => by grind)

/-- `(X - c)⁴` is integrable under a fourth moment. -/
theorem integrable_sub_pow_four (h : P.HasMoment4) (c : K) :
    P.Integrable (fun x => (x - c) ^ 4) := by
  have h4 : P.Integrable (fun x => x ^ 4) := h
  have h3 := P.integrable_pow_three_of_hasMoment4 h
  have h2 := P.integrable_sq_of_hasMoment4 h
  have h1 := P.integrable_id_of_hasMoment2 (P.hasMoment2_of_hasMoment4 h)
  have i : P.Integrable (fun x => x ^ 4 + (-4 * c * x ^ 3 + (6 * c ^ 2 * x ^ 2
      + (-4 * c ^ 3 * x + c ^ 4)))) :=
    P.integrable_add h4 (P.integrable_add (P.integrable_const_mul (-4 * c) h3)
      (P.integrable_add (P.integrable_const_mul (6 * c ^ 2) h2)
        (P.integrable_add (P.integrable_const_mul (-4 * c ^ 3) h1) (P.integrable_const (c ^ 4)))))
  exact P.integrable_congr i (fun x => by grind)

/-- The first central moment vanishes. -/
theorem E_sub_mean (h : P.HasMoment2) : P.E (fun x => x - P.mean) = 0 := by
  have i₁ := P.integrable_id_of_hasMoment2 h
  have e₁ : P.E (fun x => x - P.mean) = P.E (fun x => x + -P.mean) :=
    P.E_congr (fun x => by grind)
  have e₂ : P.E (fun x => x + -P.mean) = P.E (fun x => x) + P.E (fun _ => -P.mean) :=
    P.E_add i₁ (P.integrable_const (-P.mean))
  have e₃ : P.E (fun _ => -P.mean) = -P.mean := P.E_const (-P.mean)
  have e₄ : P.mean = P.E (fun x => x) := rfl
  grind

/-- Second moment about `c`: `E[(X - c)²] = m2 + (μ - c)²`, for every law with a second moment. -/
theorem E_sq_shift (h : P.HasMoment2) (c : K) :
    P.E (fun x => (x - c) ^ 2) = P.cmoment 2 + (P.mean - c) ^ 2 := by
  have i₁ : P.Integrable (fun x => x - P.mean) :=
    P.integrable_sub_const (P.integrable_id_of_hasMoment2 h) P.mean
  have i₂ : P.Integrable (fun x => (x - P.mean) ^ 2) := P.integrable_sub_sq h P.mean
  have i₃ : P.Integrable (fun x => 2 * (P.mean - c) * (x - P.mean)) :=
    P.integrable_const_mul (2 * (P.mean - c)) i₁
  have i₄ : P.Integrable (fun _ => (P.mean - c) ^ 2) := P.integrable_const ((P.mean - c) ^ 2)
  have e₁ : P.E (fun x => (x - c) ^ 2) = P.E (fun x => (x - P.mean) ^ 2
      + (2 * (P.mean - c) * (x - P.mean) + (P.mean - c) ^ 2)) :=
    P.E_congr (fun x => by grind)
  have e₂ : P.E (fun x => (x - P.mean) ^ 2 + (2 * (P.mean - c) * (x - P.mean) + (P.mean - c) ^ 2))
      = P.E (fun x => (x - P.mean) ^ 2)
        + P.E (fun x => 2 * (P.mean - c) * (x - P.mean) + (P.mean - c) ^ 2) :=
    P.E_add i₂ (P.integrable_add i₃ i₄)
  have e₃ : P.E (fun x => 2 * (P.mean - c) * (x - P.mean) + (P.mean - c) ^ 2)
      = P.E (fun x => 2 * (P.mean - c) * (x - P.mean)) + P.E (fun _ => (P.mean - c) ^ 2) :=
    P.E_add i₃ i₄
  have e₄ : P.E (fun x => 2 * (P.mean - c) * (x - P.mean))
      = 2 * (P.mean - c) * P.E (fun x => x - P.mean) :=
    P.E_const_mul (2 * (P.mean - c)) (fun x => x - P.mean)
  have e₅ : P.E (fun _ => (P.mean - c) ^ 2) = (P.mean - c) ^ 2 := P.E_const ((P.mean - c) ^ 2)
  have e₆ : P.E (fun x => x - P.mean) = 0 := P.E_sub_mean h
  unfold LaAciq.Law.cmoment
  grind

/-- Fourth moment about `c`: `E[(X - c)⁴] = m4 + 4 m3 d + 6 m2 d² + d⁴` with `d = μ - c`,
for every law with a fourth moment. -/
theorem E_pow_four_shift (h : P.HasMoment4) (c : K) :
    P.E (fun x => (x - c) ^ 4) = P.cmoment 4 + 4 * P.cmoment 3 * (P.mean - c)
      + 6 * P.cmoment 2 * (P.mean - c) ^ 2 + (P.mean - c) ^ 4 := by
  have h2 := P.hasMoment2_of_hasMoment4 h
  have j₁ : P.Integrable (fun x => x - P.mean) :=
    P.integrable_sub_const (P.integrable_id_of_hasMoment2 h2) P.mean
  have j₂ : P.Integrable (fun x => (x - P.mean) ^ 2) := P.integrable_sub_sq h2 P.mean
  have j₃ : P.Integrable (fun x => (x - P.mean) ^ 3) := P.integrable_sub_pow_three h P.mean
  have j₄ : P.Integrable (fun x => (x - P.mean) ^ 4) := P.integrable_sub_pow_four h P.mean
  have k₁ : P.Integrable (fun x => 4 * (P.mean - c) ^ 3 * (x - P.mean)) :=
    P.integrable_const_mul (4 * (P.mean - c) ^ 3) j₁
  have k₂ : P.Integrable (fun x => 6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2) :=
    P.integrable_const_mul (6 * (P.mean - c) ^ 2) j₂
  have k₃ : P.Integrable (fun x => 4 * (P.mean - c) * (x - P.mean) ^ 3) :=
    P.integrable_const_mul (4 * (P.mean - c)) j₃
  have k₀ : P.Integrable (fun _ => (P.mean - c) ^ 4) := P.integrable_const ((P.mean - c) ^ 4)
  have l₁ : P.Integrable (fun x => 4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4) :=
    P.integrable_add k₁ k₀
  have l₂ : P.Integrable (fun x => 6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2
      + (4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4)) :=
    P.integrable_add k₂ l₁
  have l₃ : P.Integrable (fun x => 4 * (P.mean - c) * (x - P.mean) ^ 3
      + (6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2
      + (4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4))) :=
    P.integrable_add k₃ l₂
  have e₀ : P.E (fun x => (x - c) ^ 4) = P.E (fun x => (x - P.mean) ^ 4
      + (4 * (P.mean - c) * (x - P.mean) ^ 3
      + (6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2
      + (4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4)))) :=
    P.E_congr (fun x => by grind)
  have e₁ : P.E (fun x => (x - P.mean) ^ 4
      + (4 * (P.mean - c) * (x - P.mean) ^ 3
      + (6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2
      + (4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4))))
      = P.E (fun x => (x - P.mean) ^ 4) + P.E (fun x => 4 * (P.mean - c) * (x - P.mean) ^ 3
      + (6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2
      + (4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4))) :=
    P.E_add j₄ l₃
  have e₂ : P.E (fun x => 4 * (P.mean - c) * (x - P.mean) ^ 3
      + (6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2
      + (4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4)))
      = P.E (fun x => 4 * (P.mean - c) * (x - P.mean) ^ 3)
        + P.E (fun x => 6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2
          + (4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4)) :=
    P.E_add k₃ l₂
  have e₃ : P.E (fun x => 6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2
      + (4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4))
      = P.E (fun x => 6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2)
        + P.E (fun x => 4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4) :=
    P.E_add k₂ l₁
  have e₄ : P.E (fun x => 4 * (P.mean - c) ^ 3 * (x - P.mean) + (P.mean - c) ^ 4)
      = P.E (fun x => 4 * (P.mean - c) ^ 3 * (x - P.mean)) + P.E (fun _ => (P.mean - c) ^ 4) :=
    P.E_add k₁ k₀
  have c₃ : P.E (fun x => 4 * (P.mean - c) * (x - P.mean) ^ 3)
      = 4 * (P.mean - c) * P.E (fun x => (x - P.mean) ^ 3) :=
    P.E_const_mul (4 * (P.mean - c)) (fun x => (x - P.mean) ^ 3)
  have c₂ : P.E (fun x => 6 * (P.mean - c) ^ 2 * (x - P.mean) ^ 2)
      = 6 * (P.mean - c) ^ 2 * P.E (fun x => (x - P.mean) ^ 2) :=
    P.E_const_mul (6 * (P.mean - c) ^ 2) (fun x => (x - P.mean) ^ 2)
  have c₁ : P.E (fun x => 4 * (P.mean - c) ^ 3 * (x - P.mean))
      = 4 * (P.mean - c) ^ 3 * P.E (fun x => x - P.mean) :=
    P.E_const_mul (4 * (P.mean - c) ^ 3) (fun x => x - P.mean)
  have c₀ : P.E (fun _ => (P.mean - c) ^ 4) = (P.mean - c) ^ 4 := P.E_const ((P.mean - c) ^ 4)
  have z : P.E (fun x => x - P.mean) = 0 := P.E_sub_mean h2
  unfold LaAciq.Law.cmoment
  grind

/-- `Var X = E[X²] - (E X)²`, for every law with a second moment. -/
theorem variance_eq (h : P.HasMoment2) : P.variance = P.E (fun x => x ^ 2) - P.mean ^ 2 := by
  have h₁ := P.E_sq_shift h 0
  have e : P.E (fun x => (x - 0) ^ 2) = P.E (fun x => x ^ 2) := P.E_congr (fun x => by grind)
  unfold LaAciq.Law.variance
  grind

/-- `(E[(X-μ)²])² ≤ E[(X-μ)⁴]`, for every law with a fourth moment. -/
theorem sq_variance_le_fourth (h : P.HasMoment4) : P.cmoment 2 ^ 2 ≤ P.cmoment 4 := by
  have h2 := P.hasMoment2_of_hasMoment4 h
  have j₂ : P.Integrable (fun x => (x - P.mean) ^ 2) := P.integrable_sub_sq h2 P.mean
  have j₄ : P.Integrable (fun x => (x - P.mean) ^ 4) := P.integrable_sub_pow_four h P.mean
  have k₂ : P.Integrable (fun x => -2 * P.cmoment 2 * (x - P.mean) ^ 2) :=
    P.integrable_const_mul (-2 * P.cmoment 2) j₂
  have k₀ : P.Integrable (fun _ => P.cmoment 2 ^ 2) := P.integrable_const (P.cmoment 2 ^ 2)
  have hn : 0 ≤ P.E (fun x => ((x - P.mean) ^ 2 - P.cmoment 2) ^ 2) :=
    P.E_nonneg (fun x => Lean.Grind.OrderedRing.sq_nonneg (a := (x - P.mean) ^ 2 - P.cmoment 2))
  have e₀ : P.E (fun x => ((x - P.mean) ^ 2 - P.cmoment 2) ^ 2)
      = P.E (fun x => (x - P.mean) ^ 4 + (-2 * P.cmoment 2 * (x - P.mean) ^ 2
        + P.cmoment 2 ^ 2)) :=
    P.E_congr (fun x => by grind)
  have e₁ : P.E (fun x => (x - P.mean) ^ 4 + (-2 * P.cmoment 2 * (x - P.mean) ^ 2
        + P.cmoment 2 ^ 2))
      = P.E (fun x => (x - P.mean) ^ 4)
        + P.E (fun x => -2 * P.cmoment 2 * (x - P.mean) ^ 2 + P.cmoment 2 ^ 2) :=
    P.E_add j₄ (P.integrable_add k₂ k₀)
  have e₂ : P.E (fun x => -2 * P.cmoment 2 * (x - P.mean) ^ 2 + P.cmoment 2 ^ 2)
      = P.E (fun x => -2 * P.cmoment 2 * (x - P.mean) ^ 2) + P.E (fun _ => P.cmoment 2 ^ 2) :=
    P.E_add k₂ k₀
  have e₃ : P.E (fun x => -2 * P.cmoment 2 * (x - P.mean) ^ 2)
      = -2 * P.cmoment 2 * P.E (fun x => (x - P.mean) ^ 2) :=
    P.E_const_mul (-2 * P.cmoment 2) (fun x => (x - P.mean) ^ 2)
  have e₄ : P.E (fun _ => P.cmoment 2 ^ 2) = P.cmoment 2 ^ 2 := P.E_const (P.cmoment 2 ^ 2)
  have d₂ : P.cmoment 2 = P.E (fun x => (x - P.mean) ^ 2) := rfl
  have d₄ : P.cmoment 4 = P.E (fun x => (x - P.mean) ^ 4) := rfl
  rw [← d₂] at e₃
  rw [← d₄] at e₁
  grind

/-- Excess kurtosis is at least `-2` for every law with a fourth moment and `Var > 0`. -/
theorem neg_two_le_kurtosis (h : P.HasMoment4) (hv : 0 < P.variance) : -2 ≤ P.kurtosis := by
  have hb := P.sq_variance_le_fourth h
  have hv' : 0 < P.cmoment 2 := hv
  have hs : 0 < P.cmoment 2 ^ 2 := Lean.Grind.OrderedRing.sq_pos (a := P.cmoment 2) (by grind)
  have e : P.cmoment 2 ^ 2 * (P.cmoment 4 / P.cmoment 2 ^ 2) = P.cmoment 4 := by grind
  unfold LaAciq.Law.kurtosis
  by_cases hk : 1 ≤ P.cmoment 4 / P.cmoment 2 ^ 2
  · grind
  · have := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left
      (show P.cmoment 4 / P.cmoment 2 ^ 2 < 1 by grind) hs
    grind

end Moments

/-! ### Mixtures of `n` laws -/

section Mixture

/-- The weighted sum `Σ wᵢ g(Pᵢ)` over a list of `(weight, law)` pairs. -/
noncomputable def wsum (l : List (K × Law K)) (g : Law K → K) : K :=
  match l with
  | [] => 0
  | p :: t => p.1 * g p.2 + wsum t g

/-- Weighted sums agree when the summands agree on the list. -/
theorem wsum_congr {l : List (K × Law K)} {g h : Law K → K} (hgh : ∀ p ∈ l, g p.2 = h p.2) :
    wsum l g = wsum l h := by
  induction l with
  | nil => rfl
  | cons p t ih =>
    simp only [wsum]
    rw [hgh p (List.mem_cons_self ..), ih (fun q hq => hgh q (List.mem_cons_of_mem _ hq))]

/-- Weighted sums are additive. -/
theorem wsum_add (l : List (K × Law K)) (g h : Law K → K) :
    wsum l (fun Q => g Q + h Q) = wsum l g + wsum l h := by
  induction l with
  | nil => simp only [wsum]; grind
  | cons p t ih => simp only [wsum]; grind

/-- Weighted sums are homogeneous. -/
theorem wsum_const_mul (l : List (K × Law K)) (c : K) (g : Law K → K) :
    wsum l (fun Q => c * g Q) = c * wsum l g := by
  induction l with
  | nil => simp only [wsum]; grind
  | cons p t ih => simp only [wsum]; grind

/-- Non-negative weights and summands give a non-negative sum. -/
theorem wsum_nonneg {l : List (K × Law K)} (hw : ∀ p ∈ l, 0 ≤ p.1) {g : Law K → K}
    (hg : ∀ p ∈ l, 0 ≤ g p.2) : 0 ≤ wsum l g := by
  induction l with
  | nil => simp only [wsum]; grind
  | cons p t ih =>
    simp only [wsum]
    have h₁ := Lean.Grind.OrderedRing.mul_nonneg (hw p (List.mem_cons_self ..))
      (hg p (List.mem_cons_self ..))
    have h₂ := ih (fun q hq => hw q (List.mem_cons_of_mem _ hq))
      (fun q hq => hg q (List.mem_cons_of_mem _ hq))
    grind

/-- The mixture's expectation is additive on functions integrable under every component. -/
theorem wsum_E_add (l : List (K × Law K)) {f g : K → K} (hf : ∀ p ∈ l, p.2.Integrable f)
    (hg : ∀ p ∈ l, p.2.Integrable g) :
    wsum l (fun Q => Q.E (fun x => f x + g x))
      = wsum l (fun Q => Q.E f) + wsum l (fun Q => Q.E g) := by
  have e : wsum l (fun Q => Q.E (fun x => f x + g x)) = wsum l (fun Q => Q.E f + Q.E g) := by
    apply wsum_congr
    intro p hp
    exact p.2.E_add (hf p hp) (hg p hp)
  rw [e]
  exact wsum_add l (fun Q => Q.E f) (fun Q => Q.E g)

/-- The mixture's expectation is homogeneous. -/
theorem wsum_E_const_mul (l : List (K × Law K)) (c : K) (f : K → K) :
    wsum l (fun Q => Q.E (fun x => c * f x)) = c * wsum l (fun Q => Q.E f) := by
  have e : wsum l (fun Q => Q.E (fun x => c * f x)) = wsum l (fun Q => c * Q.E f) := by
    apply wsum_congr
    intro p _
    exact p.2.E_const_mul c f
  rw [e]
  exact wsum_const_mul l c (fun Q => Q.E f)

/-- The mixture's expectation is positive. -/
theorem wsum_E_nonneg {l : List (K × Law K)} (hw : ∀ p ∈ l, 0 ≤ p.1) {f : K → K}
    (hf : ∀ x, 0 ≤ f x) : 0 ≤ wsum l (fun Q => Q.E f) := by
  apply wsum_nonneg hw
  intro p _
  exact p.2.E_nonneg hf

/-- The mixture has total mass one when the weights sum to one. -/
theorem wsum_E_one (l : List (K × Law K)) (hs : wsum l (fun _ => 1) = 1) :
    wsum l (fun Q => Q.E (fun _ => 1)) = 1 := by
  have e : wsum l (fun Q => Q.E (fun _ => 1)) = wsum l (fun _ => 1) := by
    apply wsum_congr
    intro p _
    exact p.2.E_one
  rw [e]
  exact hs

/-- The mixture `Σ wᵢ Pᵢ` of a list of `(weight, law)` pairs with non-negative weights summing
to one, as a `Law`: a function is integrable (measurable) when it is so under every component.
Mathlib: the measure `∑ i, w i • μ i` (`MeasureTheory.integral_finsetSum_measure`,
`MeasureTheory.integral_smul_measure`).
Seed 000: «This is a mixture distribution weighted by activation patterns.» -/
noncomputable def mixture (l : List (K × Law K)) (hw : ∀ p ∈ l, 0 ≤ p.1)
    (hs : wsum l (fun _ => 1) = 1) : Law K where
  Integrable f := ∀ p ∈ l, p.2.Integrable f
  Measurable f := ∀ p ∈ l, p.2.Measurable f
  E f := wsum l (fun Q => Q.E f)
  E_add := fun hf hg => wsum_E_add l hf hg
  E_const_mul c f := wsum_E_const_mul l c f
  E_nonneg := fun hf => wsum_E_nonneg hw hf
  E_one := wsum_E_one l hs
  integrable_const := by
    intro c p _
    exact p.2.integrable_const c
  integrable_add := by
    intro f g hf hg p hp
    exact p.2.integrable_add (hf p hp) (hg p hp)
  integrable_const_mul := by
    intro c f hf p hp
    exact p.2.integrable_const_mul c (hf p hp)
  integrable_of_abs_le := by
    intro f g hf hg hfg p hp
    exact p.2.integrable_of_abs_le (hf p hp) (hg p hp) hfg
  measurable_id := by
    intro p _
    exact p.2.measurable_id
  measurable_add := by
    intro f g hf hg p hp
    exact p.2.measurable_add (hf p hp) (hg p hp)
  measurable_mul := by
    intro f g hf hg p hp
    exact p.2.measurable_mul (hf p hp) (hg p hp)
  measurable_comp_mono := by
    intro φ f hφ hf p hp
    exact p.2.measurable_comp_mono hφ (hf p hp)
  measurable_ite_le := by
    intro u v f g hu hv hf hg r hr
    exact r.2.measurable_ite_le (hu r hr) (hv r hr) (hf r hr) (hg r hr)

variable (l : List (K × Law K)) (hw : ∀ p ∈ l, 0 ≤ p.1) (hs : wsum l (fun _ => 1) = 1)

/-- The expectation of a mixture is the weighted sum of the expectations. -/
theorem mixture_E (f : K → K) : (mixture l hw hs).E f = wsum l (fun Q => Q.E f) := rfl

/-- The mean of a mixture. -/
theorem mean_mixture : (mixture l hw hs).mean = wsum l (fun Q => Q.mean) := rfl

/-- A mixture of laws with second moments has a second moment. -/
theorem hasMoment2_mixture (hm : ∀ p ∈ l, p.2.HasMoment2) : (mixture l hw hs).HasMoment2 := by
  show ∀ p ∈ l, p.2.Integrable (fun x => x ^ 2)
  intro p hp
  exact hm p hp

/-- A mixture of laws with fourth moments has a fourth moment. -/
theorem hasMoment4_mixture (hm : ∀ p ∈ l, p.2.HasMoment4) : (mixture l hw hs).HasMoment4 := by
  show ∀ p ∈ l, p.2.Integrable (fun x => x ^ 4)
  intro p hp
  exact hm p hp

/-- **Law of total variance** for `n` components: `Var = Σ wᵢ (σᵢ² + δᵢ²)`,
`δᵢ = μᵢ - μ`. -/
theorem variance_mixture (hm : ∀ p ∈ l, p.2.HasMoment2) :
    (mixture l hw hs).variance
      = wsum l (fun Q => Q.variance + (Q.mean - (mixture l hw hs).mean) ^ 2) := by
  show wsum l (fun Q => Q.E (fun x => (x - (mixture l hw hs).mean) ^ 2)) = _
  apply wsum_congr
  intro p hp
  exact p.2.E_sq_shift (hm p hp) (mixture l hw hs).mean

/-- The fourth central moment of an `n`-component mixture:
`Σ wᵢ (m4ᵢ + 4·m3ᵢ·δᵢ + 6·m2ᵢ·δᵢ² + δᵢ⁴)`. -/
theorem cmoment_four_mixture (hm : ∀ p ∈ l, p.2.HasMoment4) :
    (mixture l hw hs).cmoment 4
      = wsum l (fun Q => Q.cmoment 4 + 4 * Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean)
        + 6 * Q.cmoment 2 * (Q.mean - (mixture l hw hs).mean) ^ 2
        + (Q.mean - (mixture l hw hs).mean) ^ 4) := by
  show wsum l (fun Q => Q.E (fun x => (x - (mixture l hw hs).mean) ^ 4)) = _
  apply wsum_congr
  intro p hp
  exact p.2.E_pow_four_shift (hm p hp) (mixture l hw hs).mean

/-- **The defect of seed 004's formula, `n` components**: the mixture's fourth central moment
is seed 004's numerator `Σ wᵢ (m4ᵢ + 6σᵢ²δᵢ² + δᵢ⁴)` plus `4 Σ wᵢ m3ᵢ δᵢ`. -/
theorem cmoment_four_mixture_eq_seed004_add (hm : ∀ p ∈ l, p.2.HasMoment4) :
    (mixture l hw hs).cmoment 4
      = wsum l (fun Q => Q.cmoment 4 + 6 * Q.variance * (Q.mean - (mixture l hw hs).mean) ^ 2
          + (Q.mean - (mixture l hw hs).mean) ^ 4)
        + 4 * wsum l (fun Q => Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean)) := by
  have e₁ : (mixture l hw hs).cmoment 4
      = wsum l (fun Q => (Q.cmoment 4 + 6 * Q.variance * (Q.mean - (mixture l hw hs).mean) ^ 2
          + (Q.mean - (mixture l hw hs).mean) ^ 4)
        + 4 * (Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean))) := by
    show wsum l (fun Q => Q.E (fun x => (x - (mixture l hw hs).mean) ^ 4)) = _
    apply wsum_congr
    intro p hp
    have h₄ := p.2.E_pow_four_shift (hm p hp) (mixture l hw hs).mean
    have dv : p.2.variance = p.2.cmoment 2 := rfl
    simp only [LaAciq.Law.variance]
    grind
  have e₂ : wsum l (fun Q => (Q.cmoment 4 + 6 * Q.variance * (Q.mean - (mixture l hw hs).mean) ^ 2
          + (Q.mean - (mixture l hw hs).mean) ^ 4)
        + 4 * (Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean)))
      = wsum l (fun Q => Q.cmoment 4 + 6 * Q.variance * (Q.mean - (mixture l hw hs).mean) ^ 2
          + (Q.mean - (mixture l hw hs).mean) ^ 4)
        + wsum l (fun Q => 4 * (Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean))) :=
    wsum_add l (fun Q => Q.cmoment 4 + 6 * Q.variance * (Q.mean - (mixture l hw hs).mean) ^ 2
          + (Q.mean - (mixture l hw hs).mean) ^ 4)
      (fun Q => 4 * (Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean)))
  have e₃ : wsum l (fun Q => 4 * (Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean)))
      = 4 * wsum l (fun Q => Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean)) :=
    wsum_const_mul l 4 (fun Q => Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean))
  rw [e₁, e₂, e₃]

/-- Seed 004's numerator is exact for an `n`-component mixture iff `Σ wᵢ m3ᵢ δᵢ = 0`. -/
theorem cmoment_four_mixture_eq_seed004_iff (hm : ∀ p ∈ l, p.2.HasMoment4) :
    (mixture l hw hs).cmoment 4
        = wsum l (fun Q => Q.cmoment 4 + 6 * Q.variance * (Q.mean - (mixture l hw hs).mean) ^ 2
          + (Q.mean - (mixture l hw hs).mean) ^ 4) ↔
      wsum l (fun Q => Q.cmoment 3 * (Q.mean - (mixture l hw hs).mean)) = 0 := by
  rw [cmoment_four_mixture_eq_seed004_add l hw hs hm]
  constructor <;> intro h <;> grind

end Mixture

/-! ### The finite model -/

section Finite

/-- The finite model's MSE is the MSE of `LaAciq.MSE`. -/
theorem ofFinite_mse [IntFloor K] (l : List (K × K)) (hl : IsDist l) (a : K) (B : Nat) :
    (ofFinite l hl).mse a B = LaAciq.mse l a B := rfl

/-- The finite model's clipping error is `LaAciq.clipError`. -/
theorem ofFinite_clipError (l : List (K × K)) (hl : IsDist l) (a : K) :
    (ofFinite l hl).clipError a = LaAciq.clipError l a := rfl

/-- The finite model's central moments are `LaAciq.cmoment`. -/
theorem ofFinite_cmoment (l : List (K × K)) (hl : IsDist l) (k : Nat) :
    (ofFinite l hl).cmoment k = LaAciq.cmoment l k := rfl

end Finite

end Law

section FiniteCorollaries

variable {K : Type} [OrderedField K]

/-- `Var X = E[X²] - (E X)²` for an atom list, read off `Law.variance_eq` through
`Law.ofFinite`. -/
theorem variance_eq {l : List (K × K)} (hl : IsDist l) :
    variance l = expect l (fun x => x ^ 2) - mean l ^ 2 :=
  (Law.ofFinite l hl).variance_eq (Law.ofFinite_hasMoment2 l hl)

/-- `(E[(X-μ)²])² ≤ E[(X-μ)⁴]` for an atom list, read off `Law.sq_variance_le_fourth` through
`Law.ofFinite`. Seed 000: «κ | Excess kurtosis | ℝ (≥ -2)». -/
theorem sq_variance_le_fourth {l : List (K × K)} (hl : IsDist l) :
    cmoment l 2 ^ 2 ≤ cmoment l 4 :=
  (Law.ofFinite l hl).sq_variance_le_fourth (Law.ofFinite_hasMoment4 l hl)

/-- The model MSE of an atom list lies below a quadratic in the shift `t`, read off
`Law.modelMSE_le_quadratic` through `Law.ofFinite`. -/
theorem modelMSE_le_quadratic {l : List (K × K)} (hl : IsDist l) (c a t : K) :
    modelMSE l c (a + t) ≤ modelMSE l c a - 2 * t * expect l (fun x => maxS (absS x - a) 0)
      + t ^ 2 + c * ((a + t) ^ 2 - a ^ 2) :=
  (Law.ofFinite l hl).modelMSE_le_quadratic (Law.ofFinite_hasMoment2 l hl) c a t

/-- **First-order condition of the model MSE** for an atom list: a global minimizer `α` of
`E[((|X| - α)₊)²] + c·α²` (`c ≥ 0`) satisfies `c · α = E[(|X| - α)₊]`; read off
`Law.modelMSE_minimizer_fixed_point` through `Law.ofFinite`.
Seed 004: «Taking derivative of MSE: dMSE/dα = dE_clip/dα + dE_quant/dα = 0». -/
theorem modelMSE_minimizer_fixed_point {l : List (K × K)} (hl : IsDist l) {c : K} (hc : 0 ≤ c)
    {a : K} (ha : ∀ z, modelMSE l c a ≤ modelMSE l c z) :
    c * a = expect l (fun x => maxS (absS x - a) 0) :=
  (Law.ofFinite l hl).modelMSE_minimizer_fixed_point (c := c) (a := a)
    (Law.ofFinite_hasMoment2 l hl) hc ha

/-- The fixed-point form `α · (c + P(|X| > α)) = E[|X|; |X| > α]` (OCTAV's iteration) at a
global minimizer of an atom list's model MSE, read off `Law.modelMSE_minimizer_fixed_point'`. -/
theorem modelMSE_minimizer_fixed_point' {l : List (K × K)} (hl : IsDist l) {c : K}
    (hc : 0 ≤ c) {a : K} (ha : ∀ z, modelMSE l c a ≤ modelMSE l c z) :
    a * (c + expect l (fun x => if absS x ≤ a then 0 else 1))
      = expect l (fun x => if absS x ≤ a then 0 else absS x) :=
  (Law.ofFinite l hl).modelMSE_minimizer_fixed_point' (c := c) (a := a)
    (Law.ofFinite_hasMoment2 l hl) hc ha

/-- Excess kurtosis of an atom list with positive variance is at least `-2`, read off the
theorem for every law through `Law.ofFinite`. -/
theorem neg_two_le_kurtosis_of_isDist {l : List (K × K)} (hl : IsDist l)
    (hv : 0 < variance l) : -2 ≤ kurtosis l :=
  (Law.ofFinite l hl).neg_two_le_kurtosis (Law.ofFinite_hasMoment4 l hl) hv

end FiniteCorollaries

end LaAciq
