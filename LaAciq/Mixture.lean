/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Distribution

/-!
# Moments of mixtures

For a two-component mixture `mix w l₁ l₂` of finite laws (`LaAciq.Distribution`), with component
means `μᵢ`, central moments `m2ᵢ, m3ᵢ, m4ᵢ` and deviations `δᵢ = μᵢ - μ` from the mixture mean:

* mean `μ = w μ₁ + (1 - w) μ₂`;
* variance `Σ w (m2 + δ²)` (law of total variance);
* fourth central moment `Σ w (m4 + 4·m3·δ + 6·m2·δ² + δ⁴)`.

Seed 004's formula `[Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴]/σ⁴ - 3` drops the term `4 Σ w m3 δ`:
it is exact iff that sum vanishes (e.g. symmetric components, or equal means). With equal means
and equal variances the mixture's excess kurtosis is the linear `Σ w κ` of seeds 001/002.
These are statements about actual mixtures of finite laws (empirical weight tensors), not only
about symbols.

## Main results

* `expect_sub_mean`, `expect_sq_shift`, `expect_pow_four_shift`: moments about another point.
* `variance_mix`, `cmoment_four_mix`: the mixture's variance and fourth central moment.
* `cmoment_four_mix_eq_seed004_add`: the exact defect of seed 004's formula, `4 Σ w m3 δ`.
* `cmoment_four_mix_eq_seed004_iff`: seed 004's numerator is exact iff `Σ w m3 δ = 0`.
* `kurtosis_mix_eq_linear`: equal means and variances make the mixture kurtosis linear.
* `kurtosis_linear_example`: equal means are not necessary for linearity... and equal
  variances are not necessary either (`w = ½`, `σ² = (1, 2)`, `κ = (1.2, 0)`: both `0.6`).
-/

@[expose] public section

namespace LaAciq

section Mixture

variable {K : Type} [OrderedField K]

/-- Excess kurtosis `m4 / m2² - 3`. Seed 001: «κ_l = E[(W_l - μ_l)⁴] / σ_l⁴ - 3». -/
noncomputable def kurtosis (l : List (K × K)) : K := cmoment l 4 / cmoment l 2 ^ 2 - 3

/-- Seed 004's numerator `Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴` for two components, with
`(κᵢ+3)σᵢ⁴` written as the fourth central moment `m4ᵢ` it stands for.
Seed 004: «κ_eff = [Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴]/σ⁴-3». -/
def seed004Numerator (w m4₁ m4₂ v₁ v₂ d₁ d₂ : K) : K :=
  w * m4₁ + (1 - w) * m4₂ + 6 * (w * v₁ * d₁ ^ 2 + (1 - w) * v₂ * d₂ ^ 2)
    + (w * d₁ ^ 4 + (1 - w) * d₂ ^ 4)

/-- The first central moment vanishes. -/
theorem expect_sub_mean {l : List (K × K)} (hl : IsDist l) :
    expect l (fun x => x - mean l) = 0 := by
  have e : (fun x => x - mean l) = (fun x => x + -mean l) := by funext x; grind
  rw [e, expect_add, expect_const hl]
  unfold mean
  grind

/-- Second moment about `c`: `E[(X - c)²] = m2 + (μ - c)²`. -/
theorem expect_sq_shift {l : List (K × K)} (hl : IsDist l) (c : K) :
    expect l (fun x => (x - c) ^ 2) = cmoment l 2 + (mean l - c) ^ 2 := by
  have e : (fun x => (x - c) ^ 2) = (fun x => (x - mean l) ^ 2
      + ((2 * (mean l - c)) * (x - mean l) + (mean l - c) ^ 2)) := by
    funext x; grind
  rw [e, expect_add, expect_add, expect_const_mul, expect_const hl, expect_sub_mean hl]
  unfold cmoment
  grind

/-- Fourth moment about `c`: `E[(X - c)⁴] = m4 + 4 m3 d + 6 m2 d² + d⁴`, `d = μ - c`. -/
theorem expect_pow_four_shift {l : List (K × K)} (hl : IsDist l) (c : K) :
    expect l (fun x => (x - c) ^ 4) = cmoment l 4 + 4 * cmoment l 3 * (mean l - c)
      + 6 * cmoment l 2 * (mean l - c) ^ 2 + (mean l - c) ^ 4 := by
  have e : (fun x => (x - c) ^ 4) = (fun x => (x - mean l) ^ 4
      + ((4 * (mean l - c)) * (x - mean l) ^ 3
      + ((6 * (mean l - c) ^ 2) * (x - mean l) ^ 2
      + ((4 * (mean l - c) ^ 3) * (x - mean l) + (mean l - c) ^ 4)))) := by
    funext x; grind
  rw [e, expect_add, expect_add, expect_add, expect_add, expect_const_mul, expect_const_mul,
    expect_const_mul, expect_const hl, expect_sub_mean hl]
  unfold cmoment
  grind

/-- **Law of total variance** for a mixture: `Var = Σ w (m2 + δ²)`.
Seed 004: «σ_eff² = mixture variance = Σwᵢσᵢ² + Σwᵢδᵢ²». -/
theorem variance_mix (w : K) {l₁ l₂ : List (K × K)} (h₁ : IsDist l₁) (h₂ : IsDist l₂) :
    variance (mix w l₁ l₂) =
      w * (variance l₁ + (mean l₁ - mean (mix w l₁ l₂)) ^ 2)
        + (1 - w) * (variance l₂ + (mean l₂ - mean (mix w l₁ l₂)) ^ 2) := by
  have h := expect_mix w l₁ l₂ (fun x => (x - mean (mix w l₁ l₂)) ^ 2)
  rw [expect_sq_shift h₁, expect_sq_shift h₂] at h
  exact h

/-- The fourth central moment of a mixture: `Σ w (m4 + 4·m3·δ + 6·m2·δ² + δ⁴)`. -/
theorem cmoment_four_mix (w : K) {l₁ l₂ : List (K × K)} (h₁ : IsDist l₁) (h₂ : IsDist l₂) :
    cmoment (mix w l₁ l₂) 4 =
      w * (cmoment l₁ 4 + 4 * cmoment l₁ 3 * (mean l₁ - mean (mix w l₁ l₂))
        + 6 * cmoment l₁ 2 * (mean l₁ - mean (mix w l₁ l₂)) ^ 2
        + (mean l₁ - mean (mix w l₁ l₂)) ^ 4)
      + (1 - w) * (cmoment l₂ 4 + 4 * cmoment l₂ 3 * (mean l₂ - mean (mix w l₁ l₂))
        + 6 * cmoment l₂ 2 * (mean l₂ - mean (mix w l₁ l₂)) ^ 2
        + (mean l₂ - mean (mix w l₁ l₂)) ^ 4) := by
  have h := expect_mix w l₁ l₂ (fun x => (x - mean (mix w l₁ l₂)) ^ 4)
  rw [expect_pow_four_shift h₁, expect_pow_four_shift h₂] at h
  exact h

/-- **The defect of seed 004's formula**: the true fourth central moment of a mixture is seed
004's numerator plus `4 Σ w m3 δ`. Seed 004: «6Σwᵢσᵢ²δᵢ²». -/
theorem cmoment_four_mix_eq_seed004_add (w : K) {l₁ l₂ : List (K × K)} (h₁ : IsDist l₁)
    (h₂ : IsDist l₂) :
    cmoment (mix w l₁ l₂) 4 =
      seed004Numerator w (cmoment l₁ 4) (cmoment l₂ 4) (variance l₁) (variance l₂)
          (mean l₁ - mean (mix w l₁ l₂)) (mean l₂ - mean (mix w l₁ l₂))
        + 4 * (w * cmoment l₁ 3 * (mean l₁ - mean (mix w l₁ l₂))
          + (1 - w) * cmoment l₂ 3 * (mean l₂ - mean (mix w l₁ l₂))) := by
  rw [cmoment_four_mix w h₁ h₂]
  unfold seed004Numerator variance
  grind

/-- Seed 004's numerator is exact iff `Σ w m3 δ = 0`.
Seed 004: «κ_eff = [Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴]/σ⁴-3». -/
theorem cmoment_four_mix_eq_seed004_iff (w : K) {l₁ l₂ : List (K × K)} (h₁ : IsDist l₁)
    (h₂ : IsDist l₂) :
    cmoment (mix w l₁ l₂) 4 =
        seed004Numerator w (cmoment l₁ 4) (cmoment l₂ 4) (variance l₁) (variance l₂)
          (mean l₁ - mean (mix w l₁ l₂)) (mean l₂ - mean (mix w l₁ l₂)) ↔
      w * cmoment l₁ 3 * (mean l₁ - mean (mix w l₁ l₂))
        + (1 - w) * cmoment l₂ 3 * (mean l₂ - mean (mix w l₁ l₂)) = 0 := by
  rw [cmoment_four_mix_eq_seed004_add w h₁ h₂]
  constructor <;> intro h <;> grind

/-- Equal means and equal variances make the mixture's excess kurtosis the linear average
`w κ₁ + (1 - w) κ₂` of seeds 001/002. Seed 001: «κ_eff(λ) = Σ_l ā_l(λ) · κ_l». -/
theorem kurtosis_mix_eq_linear (w : K) {l₁ l₂ : List (K × K)} (h₁ : IsDist l₁) (h₂ : IsDist l₂)
    (hμ : mean l₁ = mean l₂) (hv : variance l₁ = variance l₂) (hpos : 0 < variance l₁) :
    kurtosis (mix w l₁ l₂) = w * kurtosis l₁ + (1 - w) * kurtosis l₂ := by
  have hm : mean (mix w l₁ l₂) = mean l₁ := by rw [mean_mix, hμ]; grind
  have hvar := variance_mix w h₁ h₂
  have h4 := cmoment_four_mix w h₁ h₂
  rw [hm] at hvar h4
  have hsq := Lean.Grind.OrderedRing.sq_pos (a := variance l₁) (by grind)
  have hv0 : variance l₁ ^ 2 ≠ 0 := by grind
  unfold kurtosis
  unfold variance at hvar hv hpos hv0 hsq
  rw [h4, hvar, ← hv, hμ]
  grind

/-- Sufficient, not necessary: with equal means, `w = ½`, `σ² = (1, 2)`, `κ = (1.2, 0)`, the
mixture's excess kurtosis `(½·4.2·1 + ½·3·4)/1.5² - 3` and the linear `½·1.2 + ½·0` are both
`0.6`. -/
theorem kurtosis_linear_example :
    ((1 / 2 : Rat) * ((6 / 5 + 3) * 1 ^ 2) + 1 / 2 * ((0 + 3) * 2 ^ 2))
        / (1 / 2 * 1 + 1 / 2 * 2) ^ 2 - 3 = 1 / 2 * (6 / 5) + 1 / 2 * 0 ∧
      (1 / 2 : Rat) * (6 / 5) + 1 / 2 * 0 = 3 / 5 := by
  constructor <;> grind

end Mixture

end LaAciq
