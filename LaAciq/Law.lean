/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Distribution

/-!
# Laws over the scalar field: an abstract expectation

Seed 000 minimises `E_{X ∼ P}[(X - Q_α(X))²]` for a law `P`, and the seeds reason about
Gaussian, Laplace and heavy-tailed laws, not only about finite atom lists. `LaAciq.Law K` is the
interface the theory needs from a law over the scalar field `K`: an expectation `E` defined on
every function, a class of integrable functions on which it is additive, a class of measurable
functions, and exactly the closure properties that the proofs of `LaAciq.LawTheory` use.

A theorem stated for every `P : Law K` holds in every model of this interface. Two models:

* **finite laws** (`LaAciq.Law.ofFinite`): an atom list with `IsDist`, every field proved here
  from the lemmas of `LaAciq.Distribution` (checked by the compiler);
* **Lebesgue integration against a probability measure on `ℝ`** (Mathlib): the instantiation
  is *written, not checked* — the core library has no Mathlib. The structure's docstring says,
  field by field, which Mathlib lemma would discharge it.

Moment hypotheses are separate predicates (`HasMoment2`, `HasMoment4`), assumed exactly where
`x²` or `x⁴` is integrated.

## Main definitions

* `LaAciq.Law`: the interface (expectation, integrable and measurable functions, closure).
* `LaAciq.Law.HasMoment2`, `LaAciq.Law.HasMoment4`: finite second and fourth moments.
* `LaAciq.Law.ofFinite`: a finite law (`IsDist`) as a `Law`.

## Main results

* `LaAciq.Law.E_const`, `LaAciq.Law.E_mono`: constants and monotonicity.
* `LaAciq.Law.E_congr`: pointwise equal integrands have equal expectations.
* `LaAciq.Law.measurable_absS`, `LaAciq.Law.measurable_maxS`: measurability of `|·|`, `max`.
* `LaAciq.Law.integrable_of_nonneg_of_le`: domination of a non-negative function.
* `LaAciq.Law.integrable_id_of_hasMoment2`, `LaAciq.Law.integrable_sq_of_hasMoment4`: lower
  moments from higher ones.
* `LaAciq.Law.ofFinite_E`: the finite model's expectation is `expect`.
-/

@[expose] public section

namespace LaAciq

/-- A law over the scalar field `K`, given by its expectation.
`E f` is defined for every `f` (as Mathlib's Bochner integral is: `0` off the integrable
functions); additivity is asked only on `Integrable` functions. `Measurable` is the class on
which domination yields integrability. The fields are what the theory uses, no more.
**The measure-theoretic model (written, not checked).** For `K = ℝ` and a probability measure
`μ : MeasureTheory.Measure ℝ` with `[MeasureTheory.IsProbabilityMeasure μ]`, take
`Integrable f := MeasureTheory.Integrable f μ`, `Measurable f := Measurable f` (Borel `ℝ`) and
`E f := ∫ x, f x ∂μ`. Then, field by field:
* `E_add`: `MeasureTheory.integral_add` (hypotheses `Integrable f μ`, `Integrable g μ`);
* `E_const_mul`: `MeasureTheory.integral_const_mul` (no integrability hypothesis);
* `E_nonneg`: `MeasureTheory.integral_nonneg` (no integrability hypothesis);
* `E_one`: `MeasureTheory.integral_const` and `MeasureTheory.probReal_univ`;
* `integrable_const`: `MeasureTheory.integrable_const` (finite measure);
* `integrable_add`: `MeasureTheory.Integrable.add`;
* `integrable_const_mul`: `MeasureTheory.Integrable.const_mul`;
* `integrable_of_abs_le`: `MeasureTheory.Integrable.mono'` with
  `Measurable.aestronglyMeasurable` and `Real.norm_eq_abs` (`absS` is `|·|` by
  `abs_eq_max_neg`);
* `measurable_id`, `measurable_add`, `measurable_mul`: `measurable_id`, `Measurable.fun_add`,
  `Measurable.fun_mul` (the pointwise forms; `Measurable.add`/`mul` state `f + g`, `f * g`);
* `measurable_comp_mono`: `Monotone.measurable` and `Measurable.comp`;
* `measurable_ite_le`: `Measurable.ite` and `measurableSet_le`.
The moment predicates follow from `MeasureTheory.MemLp id 4 μ` (resp. `2`) by
`MeasureTheory.MemLp.integrable_norm_pow` and `Real.norm_eq_abs`. Mathlib's `ℝ` must also be an
instance of the scalar setting `LaAciq.OrderedField` (its `Lean.Grind` parents). The
names above were looked up in Mathlib's source; the instance itself has not been compiled. -/
structure Law (K : Type) [OrderedField K] where
  /-- The integrable functions (Mathlib: `MeasureTheory.Integrable f μ`). -/
  Integrable : (K → K) → Prop
  /-- The measurable functions (Mathlib: `Measurable f`). -/
  Measurable : (K → K) → Prop
  /-- The expectation (Mathlib: `∫ x, f x ∂μ`). -/
  E : (K → K) → K
  /-- Additivity on integrable functions (Mathlib: `MeasureTheory.integral_add`). -/
  E_add : ∀ {f g : K → K}, Integrable f → Integrable g →
    E (fun x => f x + g x) = E f + E g
  /-- Homogeneity (Mathlib: `MeasureTheory.integral_const_mul`). -/
  E_const_mul : ∀ (c : K) (f : K → K), E (fun x => c * f x) = c * E f
  /-- Positivity (Mathlib: `MeasureTheory.integral_nonneg`). -/
  E_nonneg : ∀ {f : K → K}, (∀ x, 0 ≤ f x) → 0 ≤ E f
  /-- Total mass one (Mathlib: `MeasureTheory.integral_const`, `MeasureTheory.probReal_univ`). -/
  E_one : E (fun _ => 1) = 1
  /-- Constants are integrable (Mathlib: `MeasureTheory.integrable_const`). -/
  integrable_const : ∀ c : K, Integrable (fun _ => c)
  /-- Sums (Mathlib: `MeasureTheory.Integrable.add`). -/
  integrable_add : ∀ {f g : K → K}, Integrable f → Integrable g →
    Integrable (fun x => f x + g x)
  /-- Scalar multiples (Mathlib: `MeasureTheory.Integrable.const_mul`). -/
  integrable_const_mul : ∀ (c : K) {f : K → K}, Integrable f → Integrable (fun x => c * f x)
  /-- Domination: a measurable `f` with `|f| ≤ g`, `g` integrable, is integrable
  (Mathlib: `MeasureTheory.Integrable.mono'`). -/
  integrable_of_abs_le : ∀ {f g : K → K}, Measurable f → Integrable g →
    (∀ x, absS (f x) ≤ g x) → Integrable f
  /-- The identity is measurable (Mathlib: `measurable_id`). -/
  measurable_id : Measurable (fun x => x)
  /-- Sums (Mathlib: `Measurable.fun_add`). -/
  measurable_add : ∀ {f g : K → K}, Measurable f → Measurable g →
    Measurable (fun x => f x + g x)
  /-- Products (Mathlib: `Measurable.fun_mul`). -/
  measurable_mul : ∀ {f g : K → K}, Measurable f → Measurable g →
    Measurable (fun x => f x * g x)
  /-- Composition with a monotone map (Mathlib: `Monotone.measurable`, `Measurable.comp`). -/
  measurable_comp_mono : ∀ {φ f : K → K}, (∀ x y, x ≤ y → φ x ≤ φ y) → Measurable f →
    Measurable (fun x => φ (f x))
  /-- Case split on `p x ≤ q x` (Mathlib: `Measurable.ite`, `measurableSet_le`). -/
  measurable_ite_le : ∀ {p q f g : K → K}, Measurable p → Measurable q → Measurable f →
    Measurable g → Measurable (fun x => if p x ≤ q x then f x else g x)

namespace Law

variable {K : Type} [OrderedField K]

section Basic

variable (P : Law K)

/-- Finite second moment: `x ↦ x²` is integrable. -/
def HasMoment2 : Prop := P.Integrable (fun x => x ^ 2)

/-- Finite fourth moment: `x ↦ x⁴` is integrable. -/
def HasMoment4 : Prop := P.Integrable (fun x => x ^ 4)

/-- Expectations of pointwise equal integrands agree. -/
theorem E_congr {f g : K → K} (h : ∀ x, f x = g x) : P.E f = P.E g :=
  congrArg P.E (funext h)

/-- Constants: `E[c] = c`. -/
theorem E_const (c : K) : P.E (fun _ => c) = c := by
  have h : P.E (fun _ => c * 1) = c * P.E (fun _ => 1) := P.E_const_mul c (fun _ => 1)
  have e : P.E (fun _ => c) = P.E (fun _ => c * 1) := P.E_congr (fun _ => by grind)
  have h1 : P.E (fun _ => (1 : K)) = 1 := P.E_one
  rw [e, h, h1]
  grind

/-- Monotonicity on integrable functions. -/
theorem E_mono {f g : K → K} (hf : P.Integrable f) (hg : P.Integrable g)
    (h : ∀ x, f x ≤ g x) : P.E f ≤ P.E g := by
  have hm : P.Integrable (fun x => (-1) * f x) := P.integrable_const_mul (-1) hf
  have hn : 0 ≤ P.E (fun x => g x + (-1) * f x) :=
    P.E_nonneg (fun x => by have := h x; grind)
  have ha : P.E (fun x => g x + (-1) * f x) = P.E g + P.E (fun x => (-1) * f x) :=
    P.E_add hg hm
  have hc : P.E (fun x => (-1) * f x) = (-1) * P.E f := P.E_const_mul (-1) f
  grind

/-- Integrability is a property of the function, not of its presentation. -/
theorem integrable_congr {f g : K → K} (hf : P.Integrable f) (h : ∀ x, f x = g x) :
    P.Integrable g := by
  have e : f = g := funext h
  subst e
  exact hf

/-- Measurability is a property of the function, not of its presentation. -/
theorem measurable_congr {f g : K → K} (hf : P.Measurable f) (h : ∀ x, f x = g x) :
    P.Measurable g := by
  have e : f = g := funext h
  subst e
  exact hf

/-- Constants are measurable (a constant map is monotone). -/
theorem measurable_const (c : K) : P.Measurable (fun _ => c) :=
  P.measurable_comp_mono (φ := fun _ => c) (fun _ _ _ => by grind) P.measurable_id

/-- Negation. -/
theorem measurable_neg {f : K → K} (hf : P.Measurable f) : P.Measurable (fun x => -f x) := by
  have h : P.Measurable (fun x => (-1) * f x) := P.measurable_mul (P.measurable_const (-1)) hf
  exact P.measurable_congr h (fun x => by grind)

/-- Differences. -/
theorem measurable_sub {f g : K → K} (hf : P.Measurable f) (hg : P.Measurable g) :
    P.Measurable (fun x => f x - g x) := by
  have h : P.Measurable (fun x => f x + -g x) := P.measurable_add hf (P.measurable_neg hg)
  exact P.measurable_congr h (fun x => by grind)

/-- Squares. -/
theorem measurable_sq {f : K → K} (hf : P.Measurable f) : P.Measurable (fun x => f x ^ 2) := by
  have h : P.Measurable (fun x => f x * f x) := P.measurable_mul hf hf
  exact P.measurable_congr h (fun x => by grind)

/-- `max` by `if` (`maxS a b = if a ≤ b then b else a`). -/
theorem measurable_maxS {f g : K → K} (hf : P.Measurable f) (hg : P.Measurable g) :
    P.Measurable (fun x => maxS (f x) (g x)) :=
  P.measurable_congr (P.measurable_ite_le hf hg hg hf) (fun x => (maxS_def (f x) (g x)).symm)

/-- The absolute value `absS y = maxS y (-y)`. -/
theorem measurable_absS {f : K → K} (hf : P.Measurable f) :
    P.Measurable (fun x => absS (f x)) :=
  P.measurable_congr (P.measurable_maxS hf (P.measurable_neg hf)) (fun x => (absS_def (f x)).symm)

/-- The positive part `((|x| - α)₊)` of the clipping residual. -/
theorem measurable_posPart (a : K) : P.Measurable (fun x => maxS (absS x - a) 0) :=
  P.measurable_maxS (P.measurable_sub (P.measurable_absS P.measurable_id)
    (P.measurable_const a)) (P.measurable_const 0)

/-- `x ↦ x²`. -/
theorem measurable_pow_two : P.Measurable (fun x => x ^ 2) :=
  P.measurable_sq P.measurable_id

/-- `x ↦ x³`. -/
theorem measurable_pow_three : P.Measurable (fun x => x ^ 3) := by
  have h : P.Measurable (fun x => x ^ 2 * x) := P.measurable_mul P.measurable_pow_two
    P.measurable_id
  exact P.measurable_congr h (fun x => by grind)

/-- `x ↦ x⁴`. -/
theorem measurable_pow_four : P.Measurable (fun x => x ^ 4) := by
  have h : P.Measurable (fun x => x ^ 2 * x ^ 2) := P.measurable_mul P.measurable_pow_two
    P.measurable_pow_two
  exact P.measurable_congr h (fun x => by grind)

/-- Domination of a non-negative measurable function by an integrable one. -/
theorem integrable_of_nonneg_of_le {f g : K → K} (hf : P.Measurable f) (hg : P.Integrable g)
    (h₀ : ∀ x, 0 ≤ f x) (h : ∀ x, f x ≤ g x) : P.Integrable f :=
  P.integrable_of_abs_le hf hg (fun x => by
    have a := h₀ x
    have b := h x
    exact absS_le_iff.mpr ⟨by grind, by grind⟩)

/-- A measurable function bounded by a constant is integrable. -/
theorem integrable_of_abs_le_const {f : K → K} (hf : P.Measurable f) (c : K)
    (h : ∀ x, absS (f x) ≤ c) : P.Integrable f :=
  P.integrable_of_abs_le hf (P.integrable_const c) h

/-- `x - c` is integrable when `x` is. -/
theorem integrable_sub_const {f : K → K} (hf : P.Integrable f) (c : K) :
    P.Integrable (fun x => f x - c) := by
  have h : P.Integrable (fun x => f x + -c) := P.integrable_add hf (P.integrable_const (-c))
  exact P.integrable_congr h (fun x => by grind)

end Basic

section Moments

variable (P : Law K)

/-- A finite fourth moment gives a finite second moment (`x² ≤ x⁴ + 1`). -/
theorem hasMoment2_of_hasMoment4 (h : P.HasMoment4) : P.HasMoment2 := by
  have h4 : P.Integrable (fun x => x ^ 4) := h
  have hg : P.Integrable (fun x => x ^ 4 + 1) := P.integrable_add h4 (P.integrable_const 1)
  have r : P.Integrable (fun x => x ^ 2) :=
    P.integrable_of_nonneg_of_le P.measurable_pow_two hg
      (fun x => Lean.Grind.OrderedRing.sq_nonneg (a := x)) (fun x => sq_le_pow_four_add_one x)
  exact r

/-- A finite second moment gives a finite mean (`|x| ≤ x² + 1`). -/
theorem integrable_id_of_hasMoment2 (h : P.HasMoment2) : P.Integrable (fun x => x) := by
  have h2 : P.Integrable (fun x => x ^ 2) := h
  have hg : P.Integrable (fun x => x ^ 2 + 1) := P.integrable_add h2 (P.integrable_const 1)
  exact P.integrable_of_abs_le P.measurable_id hg (fun x => absS_le_sq_add_one x)

/-- `x ↦ x²` is integrable under a finite fourth moment. -/
theorem integrable_sq_of_hasMoment4 (h : P.HasMoment4) : P.Integrable (fun x => x ^ 2) :=
  P.hasMoment2_of_hasMoment4 h

/-- `x ↦ x³` is integrable under a finite fourth moment (`|x³| ≤ x⁴ + x²`). -/
theorem integrable_pow_three_of_hasMoment4 (h : P.HasMoment4) :
    P.Integrable (fun x => x ^ 3) := by
  have h4 : P.Integrable (fun x => x ^ 4) := h
  have hg : P.Integrable (fun x => x ^ 4 + x ^ 2) :=
    P.integrable_add h4 (P.integrable_sq_of_hasMoment4 h)
  exact P.integrable_of_abs_le P.measurable_pow_three hg (fun x => absS_pow_three_le x)

end Moments

section Finite

/-- A finite law (atoms `(xᵢ, wᵢ)` with `IsDist`) as a `Law`: every function is integrable and
measurable, and `E = expect`. Every field is proved from `LaAciq.Distribution`. -/
def ofFinite (l : List (K × K)) (hl : IsDist l) : Law K where
  Integrable _ := True
  Measurable _ := True
  E := expect l
  E_add _ _ := expect_add l _ _
  E_const_mul c f := expect_const_mul l c f
  E_nonneg hf := expect_nonneg hl.1 hf
  E_one := expect_const hl 1
  integrable_const := by intros; trivial
  integrable_add := by intros; trivial
  integrable_const_mul := by intros; trivial
  integrable_of_abs_le := by intros; trivial
  measurable_id := by intros; trivial
  measurable_add := by intros; trivial
  measurable_mul := by intros; trivial
  measurable_comp_mono := by intros; trivial
  measurable_ite_le := by intros; trivial

/-- The finite model's expectation is `expect`. -/
theorem ofFinite_E (l : List (K × K)) (hl : IsDist l) (f : K → K) :
    (ofFinite l hl).E f = expect l f := rfl

/-- Finite laws have every moment; in particular a fourth one. -/
theorem ofFinite_hasMoment4 (l : List (K × K)) (hl : IsDist l) :
    (ofFinite l hl).HasMoment4 := trivial

/-- Finite laws have a second moment. -/
theorem ofFinite_hasMoment2 (l : List (K × K)) (hl : IsDist l) :
    (ofFinite l hl).HasMoment2 := trivial

end Finite

end Law

end LaAciq
