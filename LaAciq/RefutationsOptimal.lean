/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Conjectures

/-!
# Refutations at the seeds' own optima

The seeds speak of the optimal clip `α* = argmin_{α > 0} MSE`. With optima proved to exist
(`mse_exists_minimizer`) these refutations use each law's own optimum, `α > 0` and the seeds'
bit-width `B = 2` (seed 000's domain `{2, 3, 4, 8, 16}`).

## Main results

* `mse_scale_optimal`: the optimal MSE of `c·X` is `c²` times that of `X`.
* `claim_disparity_bound_optimal_false`: seed 004's disparity bound fails at the laws' own optima
  for every `C`: `X ∈ {1, 2}` and `2X` have equal kurtosis and optimal MSEs in ratio `4`.
* `claim_optimal_alpha_monotone_false`: `α*` is not monotone in `κ` at equal variance:
  `{0: 3/4, ±2: 1/8}` (`κ = 1`, unique optimum `2`) and
  `{0: 15/64, ±1: 3/8, ±4: 1/128}` (`κ = 7/4`, every optimum `< 2`, since `MSE(1) = 9/64` while
  `MSE(β) ≥ 3/4` for `β ≥ 2`).
* `claim_kappa_eff_linear_false`: the linear `κ_eff = Σ w κ` is not the kurtosis of the mixture
  `½·{±1} + ½·{±2}` (`-2` against `-41/25`).
-/

@[expose] public section

namespace LaAciq

attribute [local instance] Lean.Grind.Semiring.natCast Lean.Grind.Ring.intCast

section RefutationsOptimal

variable {K : Type} [OrderedField K]

/-- A square vanishes only at `0`. -/
theorem eq_zero_of_sq_eq_zero {e : K} (h : e ^ 2 = 0) : e = 0 := by
  by_cases he : e = 0
  · exact he
  · have := Lean.Grind.OrderedRing.sq_pos he
    grind

section

variable [IntFloor K]

/-- At two bits the codes are `-1`, `0`, `1`. -/
theorem code_two_cases {b : K} (hb : 0 < b) (x : K) :
    code b 2 x = -1 ∨ code b 2 x = 0 ∨ code b 2 x = 1 := by
  have h := code_mem hb (B := 2) (by decide) x
  have hl : levels 2 = 1 := by decide
  omega

/-- At two bits and `β ≥ 2`, the points `±1` cost at least `1`. -/
theorem one_le_sq_sub_quantize_two {b x : K} (hb : 2 ≤ b) (hx : x = 1 ∨ x = -1) :
    1 ≤ (x - quantize b 2 x) ^ 2 := by
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  have hb0 : 0 < b := by grind
  rw [quantize_eq_code, step_two]
  rcases code_two_cases hb0 x with hk | hk | hk <;> rw [hk] <;>
    simp only [Lean.Grind.Ring.intCast_neg, Lean.Grind.Ring.intCast_one,
      Lean.Grind.Ring.intCast_zero] <;>
    apply one_le_sq_of <;> rcases hx with hx | hx <;> rw [hx] <;> grind

/-- The optimal MSE scales with the law: if `α₁` is optimal for `X` and `α₂` for `c·X` (`c > 0`),
`MSE(c·X, α₂) = c²·MSE(X, α₁)`. -/
theorem mse_scale_optimal {l : List (K × K)} {B : Nat} (hB : 2 ≤ B) {c : K} (hc : 0 < c)
    {a₁ a₂ : K} (ha₁ : 0 < a₁) (ha₂ : 0 < a₂) (h₁ : ∀ b, 0 < b → mse l a₁ B ≤ mse l b B)
    (h₂ : ∀ b, 0 < b → mse (l.map (fun p => (c * p.1, p.2))) a₂ B
      ≤ mse (l.map (fun p => (c * p.1, p.2))) b B) :
    mse (l.map (fun p => (c * p.1, p.2))) a₂ B = c ^ 2 * mse l a₁ B := by
  have up := h₂ (c * a₁) (Lean.Grind.OrderedRing.mul_pos hc ha₁)
  rw [mse_scale ha₁ hc hB l] at up
  have hd : 0 < a₂ / c := div_pos_of_pos ha₂ hc
  have down := mse_scale hd hc hB l
  have e : c * (a₂ / c) = a₂ := by grind
  rw [e] at down
  have h3 := h₁ (a₂ / c) hd
  have m := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h3
    (Lean.Grind.OrderedRing.sq_nonneg (a := c))
  grind

/-- At two bits no threshold fits both `1` and `2`: the MSE of `½·δ₁ + ½·δ₂` is positive. -/
theorem mse_one_two_pos {b : K} (hb : 0 < b) :
    0 < mse [((1 : K), (1 / 2 : K)), ((2 : K), (1 / 2 : K))] b 2 := by
  have s1 := Lean.Grind.OrderedRing.sq_nonneg (a := (1 : K) - quantize b 2 1)
  have s2 := Lean.Grind.OrderedRing.sq_nonneg (a := (2 : K) - quantize b 2 2)
  have key : 0 < ((1 : K) - quantize b 2 1) ^ 2 ∨ 0 < ((2 : K) - quantize b 2 2) ^ 2 := by
    by_cases h : (1 : K) - quantize b 2 1 = 0
    · right
      apply Lean.Grind.OrderedRing.sq_pos
      intro h'
      have q1 := quantize_eq_code b 2 (1 : K)
      have q2 := quantize_eq_code b 2 (2 : K)
      rw [step_two] at q1 q2
      rcases code_two_cases hb (1 : K) with k1 | k1 | k1 <;>
        rcases code_two_cases hb (2 : K) with k2 | k2 | k2 <;>
        rw [k1] at q1 <;> rw [k2] at q2 <;>
        simp only [Lean.Grind.Ring.intCast_neg, Lean.Grind.Ring.intCast_one,
          Lean.Grind.Ring.intCast_zero] at q1 q2 <;>
        grind
    · left
      exact Lean.Grind.OrderedRing.sq_pos h
  simp only [mse, expect]
  rcases key with k | k <;> grind

/-- Seed 004's disparity bound fails at the laws' **own optima**, for every `C`: `X ∈ {1, 2}`
(equal weights) and `2X` have the same kurtosis (so `Var_λ[κ_eff] = 0`), yet their optimal MSEs
differ by a factor `4` and are positive (`mse_one_two_pos`). The optima exist
(`mse_exists_minimizer`). -/
theorem claim_disparity_bound_optimal_false (C : K) : ¬ DisparityBoundSeed004 2 C := by
  intro h
  have d₁ : IsDist [((1 : K), (1 / 2 : K)), ((2 : K), (1 / 2 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl <;> grind
    · unfold weight expect expect expect; grind
  have d₂ : IsDist ([((1 : K), (1 / 2 : K)), ((2 : K), (1 / 2 : K))].map
      (fun p => ((2 : K) * p.1, p.2))) := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [List.map_cons, List.map_nil, List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl <;> grind
    · simp only [List.map_cons, List.map_nil, weight, expect]; grind
  obtain ⟨a₁, -, ha₁, hm₁⟩ := mse_exists_minimizer d₁.1 (B := 2) (by decide)
  obtain ⟨a₂, -, ha₂, hm₂⟩ := mse_exists_minimizer d₂.1 (B := 2) (by decide)
  have h1 := h _ _ a₁ a₂ d₁ d₂ ⟨by decide, ha₁, hm₁⟩ ⟨by decide, ha₂, hm₂⟩
  have hs := mse_scale_optimal (l := [((1 : K), (1 / 2 : K)), ((2 : K), (1 / 2 : K))])
    (B := 2) (by decide) (c := 2) (by grind) ha₁ ha₂ hm₁ hm₂
  have hk : kurtosis [((1 : K), (1 / 2 : K)), ((2 : K), (1 / 2 : K))]
      = kurtosis ([((1 : K), (1 / 2 : K)), ((2 : K), (1 / 2 : K))].map
        (fun p => ((2 : K) * p.1, p.2))) := by
    simp only [List.map_cons, List.map_nil, kurtosis, cmoment, mean, expect]
    grind
  rw [hk, hs] at h1
  have hp := mse_one_two_pos ha₁
  have hq := Lean.Grind.OrderedRing.sq_pos (a := (3 : K) * mse [((1 : K), (1 / 2 : K)),
    ((2 : K), (1 / 2 : K))] a₁ 2) (by grind)
  grind

/-- Law 1 of the monotonicity counterexample: `{0: 3/4, ±2: 1/8}` (`σ² = 1`, `κ = 1`). -/
noncomputable def monoLaw₁ : List (K × K) := [((0 : K), (3 / 4 : K)), ((-2 : K), (1 / 8 : K)),
  ((2 : K), (1 / 8 : K))]

/-- Law 2 of the monotonicity counterexample: `{0: 15/64, ±1: 3/8, ±4: 1/128}`
(`σ² = 1`, `κ = 7/4`). -/
noncomputable def monoLaw₂ : List (K × K) := [((0 : K), (15 / 64 : K)), ((-1 : K), (3 / 8 : K)),
  ((1 : K), (3 / 8 : K)), ((-4 : K), (1 / 128 : K)), ((4 : K), (1 / 128 : K))]

/-- Every optimum of law 1 is at least `2` (its MSE vanishes exactly at `α = 2`). -/
theorem monoLaw₁_optimum_ge {a : K} (ha : 0 < a)
    (hmin : ∀ b, 0 < b → mse (monoLaw₁ (K := K)) a 2 ≤ mse monoLaw₁ b 2) : 2 ≤ a := by
  have h2 : (0 : K) < 2 := by grind
  have h0 := hmin 2 h2
  have hz : mse (monoLaw₁ (K := K)) 2 2 = 0 := by
    simp only [monoLaw₁, mse, expect]
    rw [quantize_zero h2 (by decide),
      quantize_of_le_neg_alpha (x := (-2 : K)) h2 (by decide) (by grind),
      quantize_of_alpha_le (x := (2 : K)) h2 (by decide) (by grind)]
    grind
  rw [hz] at h0
  simp only [monoLaw₁, mse, expect] at h0
  have s0 := Lean.Grind.OrderedRing.sq_nonneg (a := (0 : K) - quantize a 2 0)
  have s1 := Lean.Grind.OrderedRing.sq_nonneg (a := (-2 : K) - quantize a 2 (-2))
  have s2 := Lean.Grind.OrderedRing.sq_nonneg (a := (2 : K) - quantize a 2 2)
  have key : ∀ A B C : K, 0 ≤ A → 0 ≤ B → 0 ≤ C →
      3 / 4 * A + (1 / 8 * B + (1 / 8 * C + 0)) ≤ 0 → C = 0 := by
    intro A B C hA hB hC h
    grind
  have e' := eq_zero_of_sq_eq_zero (key _ _ _ s0 s1 s2 h0)
  have hr := quantize_mem_range ha (B := 2) (by decide) (2 : K)
  grind

/-- `MSE(law 2, 1) = 9/64` at two bits. -/
theorem monoLaw₂_mse_one : mse (monoLaw₂ (K := K)) 1 2 = 9 / 64 := by
  have h1 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  simp only [monoLaw₂, mse, expect]
  rw [quantize_zero h1 (by decide),
    quantize_of_le_neg_alpha (x := (-1 : K)) h1 (by decide) (by grind),
    quantize_of_alpha_le (x := (1 : K)) h1 (by decide) (by grind),
    quantize_of_le_neg_alpha (x := (-4 : K)) h1 (by decide) (by grind),
    quantize_of_alpha_le (x := (4 : K)) h1 (by decide) (by grind)]
  grind

/-- `MSE(law 2, β) ≥ 3/4` for `β ≥ 2` at two bits. -/
theorem monoLaw₂_mse_ge {b : K} (hb : 2 ≤ b) : 3 / 4 ≤ mse (monoLaw₂ (K := K)) b 2 := by
  have e1 := one_le_sq_sub_quantize_two hb (x := (1 : K)) (Or.inl rfl)
  have e2 := one_le_sq_sub_quantize_two hb (x := (-1 : K)) (Or.inr rfl)
  have s0 := Lean.Grind.OrderedRing.sq_nonneg (a := (0 : K) - quantize b 2 0)
  have s3 := Lean.Grind.OrderedRing.sq_nonneg (a := (-4 : K) - quantize b 2 (-4))
  have s4 := Lean.Grind.OrderedRing.sq_nonneg (a := (4 : K) - quantize b 2 4)
  simp only [monoLaw₂, mse, expect]
  grind

/-- Seed 004's "∂α*/∂κ > 0" fails at two bits, even in its weakest set form: law 1
(`σ² = 1`, `κ = 1`) has every optimum `≥ 2`, law 2 (`σ² = 1`, `κ = 7/4`) has every optimum `< 2`. -/
theorem claim_optimal_alpha_monotone_false :
    ¬ OptimalAlphaMonotoneInKurtosis (K := K) 2 := by
  intro h
  have d₁ : IsDist (monoLaw₁ (K := K)) := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [monoLaw₁, List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl | rfl <;> grind
    · simp only [monoLaw₁, weight, expect]; grind
  have d₂ : IsDist (monoLaw₂ (K := K)) := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [monoLaw₂, List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl | rfl | rfl | rfl <;> grind
    · simp only [monoLaw₂, weight, expect]; grind
  have hv : variance (monoLaw₁ (K := K)) = variance monoLaw₂ := by
    simp only [monoLaw₁, monoLaw₂, variance, cmoment, mean, expect]
    grind
  have hk : kurtosis (monoLaw₁ (K := K)) < kurtosis monoLaw₂ := by
    simp only [monoLaw₁, monoLaw₂, kurtosis, cmoment, mean, expect]
    grind
  obtain ⟨a₁, a₂, ⟨_, ha₁, hm₁⟩, ⟨_, ha₂, hm₂⟩, hle⟩ := h _ _ d₁ d₂ hv hk
  have g1 := monoLaw₁_optimum_ge ha₁ hm₁
  have g2 := monoLaw₂_mse_ge (K := K) (b := a₂) (by grind)
  have m1 := hm₂ 1 (Lean.Grind.OrderedRing.zero_lt_one (R := K))
  rw [monoLaw₂_mse_one] at m1
  grind

end

/-- The linear `κ_eff = Σ w κ` of seeds 001/002 is not the kurtosis of the mixture it names: for
`½·{±1} + ½·{±2}` both components have `κ = -2` but the mixture has `κ = (17/2)/(5/2)² - 3 = -41/25`
(`kurtosis_mix_eq_linear` needs equal variances). -/
theorem claim_kappa_eff_linear_false :
    ¬ ∀ (w : K) (l₁ l₂ : List (K × K)), IsDist l₁ → IsDist l₂ →
      kurtosis (mix w l₁ l₂) = w * kurtosis l₁ + (1 - w) * kurtosis l₂ := by
  intro h
  have d₁ : IsDist [((-1 : K), (1 / 2 : K)), ((1 : K), (1 / 2 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl <;> grind
    · simp only [weight, expect]; grind
  have d₂ : IsDist [((-2 : K), (1 / 2 : K)), ((2 : K), (1 / 2 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl <;> grind
    · simp only [weight, expect]; grind
  have h1 := h (1 / 2) _ _ d₁ d₂
  simp only [kurtosis, cmoment, mean, mix, List.map_cons, List.map_nil, List.cons_append,
    List.nil_append, expect] at h1
  grind

end RefutationsOptimal

end LaAciq
