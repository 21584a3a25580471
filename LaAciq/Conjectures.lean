/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Mixture
public import LaAciq.Candidates

/-!
# Open statements

The seeds' statements as `def … : Prop`, each with the seed quote and what the numerics say (see
the report for the measured values). None of them is assumed anywhere in the library. They are
stated so that they are not vacuous: `IsOptimalAlpha` asks `B ≥ 2` (the quantizer has a positive
level) and optimal clips exist for every finite law (`mse_exists_minimizer`); hypotheses are
properties of the laws, never "a minimizer exists"; a statement about optimal clips speaks of the
set of optima (true-MSE optima need not be unique), and a statement about optimal MSEs does not
depend on which optimum is taken (all have the same MSE). `DisparityBoundSeed004` and
`OptimalAlphaMonotoneInKurtosis` are refuted at `B = 2` in `LaAciq.RefutationsOptimal`.

## Main definitions

* `DisparityBoundNormalized`: seed 002's disparity bound with MSEs normalized by `σ²`.
* `DisparityBoundSeed004`: seed 004's bound `max MSE - min MSE ≤ C·√Var[κ_eff]·2^(-B)`, in the
  squared form (the report refutes it numerically for every `C`: equal kurtoses, unequal MSEs).
* `SuboptimalityQuadratic`: seed 001's "MSE_actual - MSE_optimal ∝ (κ_eff - κ_global)²".
* `OptimalAlphaMonotoneInKurtosis`: seed 004's "∂α*/∂κ > 0" (set form).
-/

@[expose] public section

namespace LaAciq

section Open

variable {K : Type} [OrderedField K] [IntFloor K]

/-- `α*` minimizes the true MSE of `l` at `B ≥ 2` bits over `α > 0` (one exists for every finite
law: `mse_exists_minimizer`). Seed 000: «\alpha^* = \arg\min_{\alpha > 0}». -/
def IsOptimalAlpha (l : List (K × K)) (B : Nat) (a : K) : Prop :=
  2 ≤ B ∧ 0 < a ∧ ∀ b : K, 0 < b → mse l a B ≤ mse l b B

/-- Seed 002's disparity bound, normalized by the variance: for laws `lᵢ` with their optimal
clips `aᵢ`, `(max - min) MSE/σ² ≤ C² · Var[κ]` (squared form of `C·√Var`). Open: the report
measures the ratio on synthetic laws. Seed 002: «Disparity ≤ C · Var_λ[κ_eff(λ)]^{1/2}». -/
def DisparityBoundNormalized (B : Nat) (C : K) : Prop :=
  ∀ (l₁ l₂ : List (K × K)) (a₁ a₂ : K), IsDist l₁ → IsDist l₂ →
    IsOptimalAlpha l₁ B a₁ → IsOptimalAlpha l₂ B a₂ → 0 < variance l₁ → 0 < variance l₂ →
    (mse l₁ a₁ B / variance l₁ - mse l₂ a₂ B / variance l₂) ^ 2
      ≤ C ^ 2 * ((kurtosis l₁ - kurtosis l₂) ^ 2 / 4)

/-- Seed 004's bound as written (two languages, squared): `(MSE₁ - MSE₂)² ≤ C²·Var[κ]·4^(-B)`,
at each law's own optimum. Refuted at `B = 2` for every `C` (`claim_disparity_bound_optimal_false`:
a law and its scaled copy, equal kurtosis, optimal MSEs in ratio 4).
Seed 004: «max_λ MSE(λ) - min_λ MSE(λ) ≤ C · √Var_λ[κ_eff(λ)] · 2^{-B}». -/
def DisparityBoundSeed004 (B : Nat) (C : K) : Prop :=
  ∀ (l₁ l₂ : List (K × K)) (a₁ a₂ : K), IsDist l₁ → IsDist l₂ →
    IsOptimalAlpha l₁ B a₁ → IsOptimalAlpha l₂ B a₂ →
    (mse l₁ a₁ B - mse l₂ a₂ B) ^ 2 * 4 ^ B ≤ C ^ 2 * ((kurtosis l₁ - kurtosis l₂) ^ 2 / 4)

/-- Seed 001's suboptimality law: using the global clip costs `∝ (κ_eff - κ_global)²`.
Seed 001: «MSE_actual(λ) - MSE_optimal(λ) ∝ (κ_eff(λ) - κ_global)²». -/
def SuboptimalityQuadratic (B : Nat) (C : K) : Prop :=
  ∀ (l lg : List (K × K)) (a ag : K), IsDist l → IsDist lg →
    IsOptimalAlpha l B a → IsOptimalAlpha lg B ag →
    mse l ag B - mse l a B ≤ C * (kurtosis l - kurtosis lg) ^ 2

/-- Seed 004's monotonicity: larger kurtosis, larger optimal clip (at equal variance), in its
weakest set form: some optimum of the lower-kurtosis law is at most some optimum of the other
(refuted at `B = 2`: `claim_optimal_alpha_monotone_false`).
Seed 004: «Monotonicity: ∂α*/∂κ > 0». -/
def OptimalAlphaMonotoneInKurtosis (B : Nat) : Prop :=
  ∀ (l₁ l₂ : List (K × K)), IsDist l₁ → IsDist l₂ →
    variance l₁ = variance l₂ → kurtosis l₁ < kurtosis l₂ →
    ∃ a₁ a₂ : K, IsOptimalAlpha l₁ B a₁ ∧ IsOptimalAlpha l₂ B a₂ ∧ a₁ ≤ a₂

end Open

end LaAciq
