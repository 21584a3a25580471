/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Convexity
public import LaAciq.Mixture

/-!
# Machine-checked refutations of the seeds' false statements

Each theorem `claim_…_false` is the negation `¬ (claim)` of a seed statement as the seed writes
it (made precise), proved with an explicit small witness. Its docstring quotes the seed and
names the corrected statement, proved elsewhere in the library.

## Main results

* `claim_grid_two_pow_false`: the grid has `2^B - 1` points, not `2^B` (B = 2).
* `claim_step_false`: the step is not `2α/(2^B - 1)` (α = 1, B = 2).
* `claim_clip_le_alpha_false`: `clip(x,α) ≤ α` needs `0 ≤ α` (α = -1).
* `claim_mse_eq_clip_add_noise_false`, `claim_mse_eq_seed004_false`: "MSE = E_clip + Δ²/12"
  (and seed 004's `· P(|X| ≤ α)` variant) are not identities (a point mass at 0).
* `claim_clipError_strict_anti_false`: "∂E_clip/∂α < 0" fails beyond the support.
* `claim_quantize_odd_false`: oddness fails at a tie under half-up rounding.
* `claim_mse_convex_false`: the true MSE is not convex in α (point mass at 1, B = 2).
* `claim_seed004_mse_convex_false`: seed 004's model MSE is not convex (point mass at 1).
* `claim_seed004_kurtosis_formula_false`: seed 004's mixture-kurtosis formula fails for a
  mixture with a skewed component (`cmoment_four_mix_eq_seed004_add` gives the defect).
* `claim_disparity_bound_false`: seed 004's disparity bound fails for every `C`: a law and its
  scaled copy have equal kurtosis (so `√Var_λ[κ_eff] = 0`) but different MSEs at a shared `α`.
-/

@[expose] public section

namespace LaAciq

attribute [local instance] Lean.Grind.Semiring.natCast Lean.Grind.Ring.intCast

/-- The grid has `2^B - 1` points (`two_mul_levels_add_one`), not `2^B`.
Seed 000: «Range: [-α, α] mapped to 2^B discrete levels». -/
theorem claim_grid_two_pow_false : ¬ ∀ B : Nat, 2 ≤ B → 2 * levels B + 1 = 2 ^ B := by
  intro h
  exact absurd (h 2 (by decide)) (by decide)

section Witnesses

variable {K : Type} [OrderedField K]

/-- At two bits the step is `α` itself. -/
theorem step_two (a : K) : step a 2 = a := by
  have h : levels 2 = 1 := by decide
  unfold step
  rw [h]
  rw [Lean.Grind.Semiring.natCast_one]; grind

section

variable [IntFloor K]

/-- `round y = n` for `n - 1/2 ≤ y < n + 1/2`. -/
theorem roundS_eq {y : K} {n : Int} (h₁ : (n : K) - 1 / 2 ≤ y) (h₂ : y < (n : K) + 1 / 2) :
    roundS y = n := by
  unfold roundS
  apply floor_eq_of_le_of_lt <;> grind

/-- `round y = 0` for `-1/2 ≤ y < 1/2`. -/
theorem roundS_eq_zero {y : K} (h₁ : -(1 / 2) ≤ y) (h₂ : y < 1 / 2) : roundS y = 0 := by
  apply roundS_eq <;> rw [Lean.Grind.Ring.intCast_zero] <;> grind

/-- `round y = 1` for `1/2 ≤ y < 3/2`. -/
theorem roundS_eq_one {y : K} (h₁ : 1 / 2 ≤ y) (h₂ : y < 3 / 2) : roundS y = 1 := by
  apply roundS_eq <;> rw [Lean.Grind.Ring.intCast_one] <;> grind

/-- The quantizer at two bits, on `[-α, α]`: `Q x = α · round(x / α)`. -/
theorem quantize_two_of_abs_le {a x : K} (h₁ : -a ≤ x) (h₂ : x ≤ a) :
    quantize a 2 x = a * ((roundS (x / a) : Int) : K) := by
  unfold quantize
  rw [clip_of_in_range h₁ h₂, step_two]

end

end Witnesses

section Refutations

variable {K : Type} [OrderedField K]

/-- The step is `α/(2^(B-1) - 1) = 2α/(2^B - 2)` (`step_eq_two_mul_div`), not `2α/(2^B - 1)`:
at `α = 1`, `B = 2` it is `1`, not `2/3`. Seed 000: «Step size: Δ = 2α / (2^B - 1)». -/
theorem claim_step_false :
    ¬ ∀ (a : K) (B : Nat), 0 < a → 2 ≤ B → step a B * ((2 : K) ^ B - 1) = 2 * a := by
  intro h
  have h1 := h 1 2 (by grind [Lean.Grind.OrderedRing.zero_lt_one]) (by decide)
  rw [step_two] at h1
  grind

/-- `clip(x,α) ≤ α` needs `0 ≤ α` (`clip_le_alpha`): `clip(-1)(0) = 1`.
Seed 004: «clip(x,α) ≤ α». -/
theorem claim_clip_le_alpha_false : ¬ ∀ a x : K, clip a x ≤ a := by
  intro h
  have h₁ := h (-1) 0
  have h₂ := neg_alpha_le_clip (-1 : K) 0
  have := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  grind

section

variable [IntFloor K]

/-- "MSE = E_clip + Δ²/12" is not an identity (`mse_eq_clipError_add_innerError` is): a point
mass at `0` has MSE `0`. -/
theorem claim_mse_eq_clip_add_noise_false :
    ¬ ∀ (l : List (K × K)) (a : K) (B : Nat), IsDist l → 0 < a → 2 ≤ B →
      mse l a B = clipError l a + step a B ^ 2 / 12 := by
  intro h
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  have hd : IsDist [((0 : K), (1 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · rw [List.mem_singleton] at hp; subst hp; grind
    · unfold weight expect expect; grind
  have h1 := h [((0 : K), (1 : K))] 1 2 hd h01 (by decide)
  rw [step_two] at h1
  unfold mse clipError expect expect at h1
  rw [quantize_zero h01 (by decide)] at h1
  have e₀ : ((0 : K), (1 : K)).1 = 0 := rfl
  have e₁ : absS (0 : K) = 0 := absS_of_nonneg (by grind)
  have e₂ : maxS ((0 : K) - 1) 0 = 0 := maxS_eq_right (by grind)
  grind

/-- Seed 004's `E_quant = Δ²/12 · P(|X| ≤ α)` does not make an identity either. -/
theorem claim_mse_eq_seed004_false :
    ¬ ∀ (l : List (K × K)) (a : K) (B : Nat), IsDist l → 0 < a → 2 ≤ B →
      mse l a B = seed004MSE l a B := by
  intro h
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  have hd : IsDist [((0 : K), (1 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · rw [List.mem_singleton] at hp; subst hp; grind
    · unfold weight expect expect; grind
  have h1 := h [((0 : K), (1 : K))] 1 2 hd h01 (by decide)
  unfold seed004MSE at h1
  rw [step_two] at h1
  unfold mse clipError probInside expect expect at h1
  rw [quantize_zero h01 (by decide)] at h1
  have e₀ : ((0 : K), (1 : K)).1 = 0 := rfl
  have e₁ : absS (0 : K) = 0 := absS_of_nonneg (by grind)
  have e₂ : maxS ((0 : K) - 1) 0 = 0 := maxS_eq_right (by grind)
  grind

end

/-- "∂E_clip/∂α < 0" fails beyond the support: `clipError` is constant `0` there (it is only
antitone, `clipError_antitone`). Seed 004: «`clippingError_antitone` | ∂E_c/∂α < 0». -/
theorem claim_clipError_strict_anti_false :
    ¬ ∀ (l : List (K × K)) (x y : K), IsDist l → x < y → clipError l y < clipError l x := by
  intro h
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  have hd : IsDist [((0 : K), (1 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · rw [List.mem_singleton] at hp; subst hp; grind
    · unfold weight expect expect; grind
  have h1 := h [((0 : K), (1 : K))] 1 2 hd (by grind)
  unfold clipError expect expect at h1
  have e₀ : ((0 : K), (1 : K)).1 = 0 := rfl
  have e₁ : absS (0 : K) = 0 := absS_of_nonneg (by grind)
  have e₂ : maxS ((0 : K) - 1) 0 = 0 := maxS_eq_right (by grind)
  have e₃ : maxS ((0 : K) - 2) 0 = 0 := maxS_eq_right (by grind)
  grind

section

variable [IntFloor K]

/-- Oddness fails at a tie under half-up rounding (`quantize_neg` holds off ties):
`Q(1/2) = 1` but `Q(-1/2) = 0` for `α = 1`, `B = 2`. Seed 000: «Symmetric around 0». -/
theorem claim_quantize_odd_false :
    ¬ ∀ (a : K) (B : Nat) (x : K), 0 < a → 2 ≤ B → quantize a B (-x) = -quantize a B x := by
  intro h
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  have h1 := h 1 2 (1 / 2) h01 (by decide)
  rw [quantize_two_of_abs_le (a := (1 : K)) (x := -(1 / 2)) (by grind) (by grind),
    quantize_two_of_abs_le (a := (1 : K)) (x := 1 / 2) (by grind) (by grind)] at h1
  have e₁ : roundS ((1 : K) / 2 / 1) = 1 := roundS_eq_one (by grind) (by grind)
  have e₂ : roundS (-(1 : K) / 2 / 1) = 0 := roundS_eq_zero (by grind) (by grind)
  have e₂' : -(1 / 2 : K) / 1 = -(1 : K) / 2 / 1 := by grind
  rw [e₂', e₁, e₂, Lean.Grind.Ring.intCast_one, Lean.Grind.Ring.intCast_zero] at h1
  grind

/-- The true MSE is **not** convex in `α` (so "MSE convex ⇒ unique α*" fails for the quantity it
names): for a point mass at `1` and `B = 2`, `MSE(1) = 0`, `MSE(3) = 1` but `MSE(2) = 1 > 1/2`.
The model MSE is convex (`convexOn_modelMSE`). Seed 004: «`mse_convex` | MSE convex for α>0». -/
theorem claim_mse_convex_false :
    ¬ ConvexOn (fun a : K => 0 < a) (fun a => mse [((1 : K), (1 : K))] a 2) := by
  intro h
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  have h1 := h 1 3 h01 (by grind) (1 / 2) (1 / 2) (by grind) (by grind) (by grind)
  have e : (1 / 2 : K) * 1 + 1 / 2 * 3 = 2 := by grind
  rw [e] at h1
  simp only [mse, expect] at h1
  rw [quantize_of_alpha_le h01 (by decide) (by grind),
    quantize_two_of_abs_le (a := (2 : K)) (by grind) (by grind),
    quantize_two_of_abs_le (a := (3 : K)) (by grind) (by grind)] at h1
  have r₂ : roundS ((1 : K) / 2) = 1 := roundS_eq_one (by grind) (by grind)
  have r₃ : roundS ((1 : K) / 3) = 0 := roundS_eq_zero (by grind) (by grind)
  rw [r₂, r₃, Lean.Grind.Ring.intCast_one, Lean.Grind.Ring.intCast_zero] at h1
  grind

end

/-- Seed 004's model MSE `E_clip + Δ²/12 · P(|X| ≤ α)` is not convex: for a point mass at `1`
and `B = 2` it jumps at `α = 1` (`f(9/10) = 1/100`, `f(1) = 1/12`, `f(11/10) = 121/1200`).
Seed 004: «Convexity: MSE is convex ⇒ unique α*». -/
theorem claim_seed004_mse_convex_false :
    ¬ ConvexOn (fun a : K => 0 < a) (fun a => seed004MSE [((1 : K), (1 : K))] a 2) := by
  intro h
  have h1 := h (9 / 10) (11 / 10) (by grind) (by grind) (1 / 2) (1 / 2) (by grind) (by grind)
    (by grind)
  have e : (1 / 2 : K) * (9 / 10) + 1 / 2 * (11 / 10) = 1 := by grind
  rw [e] at h1
  simp only [seed004MSE] at h1
  rw [step_two, step_two, step_two] at h1
  simp only [clipError, probInside, expect] at h1
  have e₁ : absS (1 : K) = 1 := absS_of_nonneg (by grind)
  have m₁ : maxS ((1 : K) - 9 / 10) 0 = 1 - 9 / 10 := maxS_eq_left (by grind)
  have m₂ : maxS ((1 : K) - 1) 0 = 0 := maxS_eq_right (by grind)
  have m₃ : maxS ((1 : K) - 11 / 10) 0 = 0 := maxS_eq_right (by grind)
  simp only [e₁, m₁, m₂, m₃] at h1
  grind

section

variable [IntFloor K]

/-- `round y = -1` for `-3/2 ≤ y < -1/2`. -/
theorem roundS_eq_neg_one {y : K} (h₁ : -(3 / 2) ≤ y) (h₂ : y < -(1 / 2)) : roundS y = -1 := by
  apply roundS_eq <;> rw [Lean.Grind.Ring.intCast_neg, Lean.Grind.Ring.intCast_one] <;> grind

/-- Seed 004's disparity bound at a shared clip, in squared form for two languages
(`Var_λ[κ] = (κ₁ - κ₂)²/4`): `(MSE₁ - MSE₂)² · 4^B ≤ C² · Var_λ[κ]`.
Seed 004: «max_λ MSE(λ) - min_λ MSE(λ) ≤ C · √Var_λ[κ_eff(λ)] · 2^{-B}». -/
def DisparityBoundShared (B : Nat) (C : K) : Prop :=
  ∀ (l₁ l₂ : List (K × K)) (a : K), IsDist l₁ → IsDist l₂ → 0 < a →
    (mse l₁ a B - mse l₂ a B) ^ 2 * 4 ^ B ≤ C ^ 2 * ((kurtosis l₁ - kurtosis l₂) ^ 2 / 4)

/-- Seed 004's disparity bound fails for **every** `C`: `X = ±1` and its scaled copy `3X` both
have excess kurtosis `-2`, yet at `α = 3/2`, `B = 2` their MSEs are `1/4` and `9/4`.
Kurtosis does not determine the MSE; scale does (`mse_scale`).
Seed 004: «max_λ MSE(λ) - min_λ MSE(λ) ≤ C · √Var_λ[κ_eff(λ)] · 2^{-B}». -/
theorem claim_disparity_bound_false (C : K) : ¬ DisparityBoundShared 2 C := by
  intro h
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  have d₁ : IsDist [((-1 : K), (1 / 2 : K)), ((1 : K), (1 / 2 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl <;> grind
    · unfold weight expect expect expect; grind
  have d₂ : IsDist [((-3 : K), (1 / 2 : K)), ((3 : K), (1 / 2 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl <;> grind
    · unfold weight expect expect expect; grind
  have h1 := h _ _ (3 / 2) d₁ d₂ (by grind)
  have k : kurtosis [((-1 : K), (1 / 2 : K)), ((1 : K), (1 / 2 : K))]
      = kurtosis [((-3 : K), (1 / 2 : K)), ((3 : K), (1 / 2 : K))] := by
    simp only [kurtosis, cmoment, mean, expect]
    grind
  rw [k] at h1
  simp only [mse, expect] at h1
  rw [quantize_two_of_abs_le (a := (3 / 2 : K)) (x := -1) (by grind) (by grind),
    quantize_two_of_abs_le (a := (3 / 2 : K)) (x := 1) (by grind) (by grind),
    quantize_of_le_neg_alpha (a := (3 / 2 : K)) (x := -3) (by grind) (by decide) (by grind),
    quantize_of_alpha_le (a := (3 / 2 : K)) (x := 3) (by grind) (by decide) (by grind)] at h1
  have r₁ : roundS ((-1 : K) / (3 / 2)) = -1 := roundS_eq_neg_one (by grind) (by grind)
  have r₂ : roundS ((1 : K) / (3 / 2)) = 1 := roundS_eq_one (by grind) (by grind)
  rw [r₁, r₂, Lean.Grind.Ring.intCast_neg, Lean.Grind.Ring.intCast_one] at h1
  grind

end

/-- Seed 004's mixture-kurtosis numerator is wrong for a skewed component: for
`½·{0 w.p. ¾, 1 w.p. ¼} + ½·δ₀` the defect `4 Σ w m3 δ = 4 · ½ · (3/32) · (1/8) ≠ 0`
(`cmoment_four_mix_eq_seed004_add` is the corrected statement).
Seed 004: «κ_eff = [Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴]/σ⁴-3». -/
theorem claim_seed004_kurtosis_formula_false :
    ¬ ∀ (w : K) (l₁ l₂ : List (K × K)), IsDist l₁ → IsDist l₂ →
      cmoment (mix w l₁ l₂) 4 =
        seed004Numerator w (cmoment l₁ 4) (cmoment l₂ 4) (variance l₁) (variance l₂)
          (mean l₁ - mean (mix w l₁ l₂)) (mean l₂ - mean (mix w l₁ l₂)) := by
  intro h
  have d₁ : IsDist [((0 : K), (3 / 4 : K)), ((1 : K), (1 / 4 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · simp only [List.mem_cons, List.not_mem_nil, or_false] at hp
      rcases hp with rfl | rfl <;> grind
    · simp only [weight, expect]; grind
  have d₂ : IsDist [((0 : K), (1 : K))] := by
    refine ⟨fun p hp => ?_, ?_⟩
    · rw [List.mem_singleton] at hp; subst hp; grind
    · simp only [weight, expect]; grind
  have h1 := h (1 / 2) _ _ d₁ d₂
  rw [cmoment_four_mix_eq_seed004_iff _ d₁ d₂] at h1
  simp only [cmoment, mean, mix, List.map_cons, List.map_nil, List.cons_append,
    List.nil_append, expect] at h1
  grind

end Refutations

end LaAciq
