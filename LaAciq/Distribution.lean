/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Clip

/-!
# Finite weighted distributions

The empirical law of a weight tensor: a list of atoms `(value, weight)` with non-negative
weights summing to 1 (`IsDist`). The expectation `expect l f = Σ wᵢ f(xᵢ)` is Mathlib's
integral against a finite law: `PMF.integral_eq_sum : ∫ a, f a ∂p.toMeasure = ∑ a, (p a).toReal • f a`;
mixtures split as `MeasureTheory.integral_add_measure` and `MeasureTheory.integral_smul_measure`
do; `variance_eq` (in `LaAciq.LawTheory`) is `ProbabilityTheory.variance_def'`. `prob` is the expectation of an
indicator.

## Main definitions

* `LaAciq.expect`, `LaAciq.weight`, `LaAciq.prob`, `LaAciq.IsDist`.
* `LaAciq.mean`, `LaAciq.cmoment` (central moments), `LaAciq.variance`.
* `LaAciq.mix`: the two-component mixture `w · P₁ + (1 - w) · P₂`.

## Main results

* `expect_add`, `expect_const_mul`, `expect_const`: linearity and constants.
* `expect_nonneg`, `expect_mono`: positivity and monotonicity.
* `prob_nonneg`, `prob_le_one`: probabilities lie in `[0, 1]`.
* `expect_scale`: scaling the support.
* `expect_mix`, `isDist_mix`, `mean_mix`: the expectation of a mixture is the weighted sum.

`variance_eq` (`Var X = E[X²] - (E X)²`) and `sq_variance_le_fourth` (`m2² ≤ m4`) for an atom list
with `IsDist` are the theorems of `LaAciq.LawTheory` for every law, read off through
`Law.ofFinite` there (one proof each).
-/

@[expose] public section

namespace LaAciq

section Distribution

variable {K : Type} [OrderedField K]

/-- The expectation `Σ wᵢ f(xᵢ)` of `f` under the atoms `(xᵢ, wᵢ)`.
Seed 000: «\mathbb{E}_{X \sim P}[(X - Q_\alpha(X))^2]». -/
def expect (l : List (K × K)) (f : K → K) : K :=
  match l with
  | [] => 0
  | p :: t => p.2 * f p.1 + expect t f

/-- Total weight `Σ wᵢ`. -/
def weight (l : List (K × K)) : K := expect l (fun _ => 1)

/-- A finite law: non-negative weights summing to 1. -/
def IsDist (l : List (K × K)) : Prop := (∀ p ∈ l, 0 ≤ p.2) ∧ weight l = 1

/-- The probability of an event given by a Boolean test. -/
def prob (l : List (K × K)) (e : K → Bool) : K := expect l (fun x => if e x then 1 else 0)

/-- The mean `E X`. Seed 001: «κ_l = E[(W_l - μ_l)⁴] / σ_l⁴ - 3». -/
def mean (l : List (K × K)) : K := expect l (fun x => x)

/-- The `k`-th central moment `E[(X - μ)^k]`. Seed 001: «κ_l = E[(W_l - μ_l)⁴] / σ_l⁴ - 3». -/
def cmoment (l : List (K × K)) (k : Nat) : K := expect l (fun x => (x - mean l) ^ k)

/-- The variance. Seed 001: «κ_l = E[(W_l - μ_l)⁴] / σ_l⁴ - 3». -/
def variance (l : List (K × K)) : K := cmoment l 2

/-- The mixture `w · P₁ + (1 - w) · P₂` (weights rescaled, atoms concatenated).
Seed 000: «This is a mixture distribution weighted by activation patterns.» -/
noncomputable def mix (w : K) (l₁ l₂ : List (K × K)) : List (K × K) :=
  l₁.map (fun p => (p.1, w * p.2)) ++ l₂.map (fun p => (p.1, (1 - w) * p.2))

/-- Linearity: `E[f + g] = E f + E g`. -/
theorem expect_add (l : List (K × K)) (f g : K → K) :
    expect l (fun x => f x + g x) = expect l f + expect l g := by
  induction l with
  | nil => simp only [expect]; grind
  | cons p t ih => simp only [expect]; grind

/-- Homogeneity: `E[c · f] = c · E f`. -/
theorem expect_const_mul (l : List (K × K)) (c : K) (f : K → K) :
    expect l (fun x => c * f x) = c * expect l f := by
  induction l with
  | nil => simp only [expect]; grind
  | cons p t ih => simp only [expect]; grind

/-- Constants: `E[c] = c · Σ w`. -/
theorem expect_const_eq_mul_weight (l : List (K × K)) (c : K) :
    expect l (fun _ => c) = c * weight l := by
  unfold weight
  induction l with
  | nil => simp only [expect]; grind
  | cons p t ih => simp only [expect]; grind

/-- Constants under a law: `E[c] = c`. -/
theorem expect_const {l : List (K × K)} (hl : IsDist l) (c : K) : expect l (fun _ => c) = c := by
  rw [expect_const_eq_mul_weight, hl.2]; grind

/-- Positivity. -/
theorem expect_nonneg {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {f : K → K}
    (hf : ∀ x, 0 ≤ f x) : 0 ≤ expect l f := by
  induction l with
  | nil => simp only [expect]; grind
  | cons p t ih =>
    simp only [expect]
    have h1 := Lean.Grind.OrderedRing.mul_nonneg (hw p (List.mem_cons_self ..)) (hf p.1)
    have h2 := ih (fun q hq => hw q (List.mem_cons_of_mem _ hq))
    grind

/-- Monotonicity. -/
theorem expect_mono {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {f g : K → K}
    (h : ∀ x, f x ≤ g x) : expect l f ≤ expect l g := by
  have e := expect_add l f (fun x => g x - f x)
  have e' : expect l (fun x => f x + (g x - f x)) = expect l g := by
    congr 1; funext x; grind
  have := expect_nonneg hw (f := fun x => g x - f x) (fun x => by have := h x; grind)
  grind

/-- Probabilities are non-negative. -/
theorem prob_nonneg {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (e : K → Bool) :
    0 ≤ prob l e :=
  expect_nonneg hw (fun x => by
    have := Lean.Grind.OrderedRing.zero_le_one (R := K)
    split <;> grind)

/-- Probabilities are at most one. -/
theorem prob_le_one {l : List (K × K)} (hl : IsDist l) (e : K → Bool) : prob l e ≤ 1 := by
  have h := expect_mono hl.1 (f := fun x => if e x then 1 else 0) (g := fun _ => 1)
    (fun x => by
      have := Lean.Grind.OrderedRing.zero_le_one (R := K)
      try dsimp only
      split <;> grind)
  rw [expect_const hl] at h
  exact h

/-- Scaling the support: `E f(c·X)` is the expectation of `f ∘ (c ·)`. -/
theorem expect_scale (l : List (K × K)) (c : K) (f : K → K) :
    expect (l.map (fun p => (c * p.1, p.2))) f = expect l (fun x => f (c * x)) := by
  induction l with
  | nil => simp only [List.map, expect]
  | cons p t ih => simp only [List.map, expect]; grind

/-- Concatenating atom lists adds expectations. -/
theorem expect_append (l₁ l₂ : List (K × K)) (f : K → K) :
    expect (l₁ ++ l₂) f = expect l₁ f + expect l₂ f := by
  induction l₁ with
  | nil => simp only [List.nil_append, expect]; grind
  | cons p t ih => simp only [List.cons_append, expect]; grind

/-- Rescaling the weights rescales the expectation. -/
theorem expect_map_weight (l : List (K × K)) (c : K) (f : K → K) :
    expect (l.map (fun p => (p.1, c * p.2))) f = c * expect l f := by
  induction l with
  | nil => simp only [List.map, expect]; grind
  | cons p t ih => simp only [List.map, expect]; grind

/-- The expectation of a mixture is the weighted sum of the expectations.
Seed 000: «P_\lambda(x) = \sum_l \bar{a}_l(\lambda) \cdot P_l(x)». -/
theorem expect_mix (w : K) (l₁ l₂ : List (K × K)) (f : K → K) :
    expect (mix w l₁ l₂) f = w * expect l₁ f + (1 - w) * expect l₂ f := by
  unfold mix
  rw [expect_append, expect_map_weight, expect_map_weight]

/-- A mixture of laws with a weight in `[0, 1]` is a law.
Seed 000: «This is a mixture distribution weighted by activation patterns.» -/
theorem isDist_mix {w : K} (hw₀ : 0 ≤ w) (hw₁ : w ≤ 1) {l₁ l₂ : List (K × K)}
    (h₁ : IsDist l₁) (h₂ : IsDist l₂) : IsDist (mix w l₁ l₂) := by
  refine ⟨?_, ?_⟩
  · intro p hp
    unfold mix at hp
    rcases List.mem_append.mp hp with hp | hp
    · obtain ⟨q, hq, rfl⟩ := List.mem_map.mp hp
      exact Lean.Grind.OrderedRing.mul_nonneg hw₀ (h₁.1 q hq)
    · obtain ⟨q, hq, rfl⟩ := List.mem_map.mp hp
      exact Lean.Grind.OrderedRing.mul_nonneg (by grind) (h₂.1 q hq)
  · unfold weight
    rw [expect_mix]
    have a := h₁.2
    have b := h₂.2
    unfold weight at a b
    grind

/-- The mean of a mixture. Seed 004: «σ_eff² = mixture variance = Σwᵢσᵢ² + Σwᵢδᵢ²». -/
theorem mean_mix (w : K) (l₁ l₂ : List (K × K)) :
    mean (mix w l₁ l₂) = w * mean l₁ + (1 - w) * mean l₂ :=
  expect_mix w l₁ l₂ _

/-- Expectations agree when the integrands agree on the support. -/
theorem expect_congr {l : List (K × K)} {f g : K → K} (h : ∀ p ∈ l, f p.1 = g p.1) :
    expect l f = expect l g := by
  induction l with
  | nil => rfl
  | cons p t ih =>
    simp only [expect]
    rw [h p (List.mem_cons_self ..), ih (fun q hq => h q (List.mem_cons_of_mem _ hq))]

end Distribution

end LaAciq
