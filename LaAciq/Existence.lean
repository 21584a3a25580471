/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Optimality

/-!
# The model MSE: the optimal clip exists, is the fixed point, and is unique

For a finite law `l` and `c > 0`, the Banner-type model `f(α) = E[((|X| - α)₊)²] + c·α²`
(`modelMSE`) has the first-order function `g(α) = c·α - E[(|X| - α)₊]`. For a threshold `t`,
`E[(|X| - s)₊] ≥ E[|X|; |X| > t] - s·P(|X| > t)` for every `s`, with equality when no atom lies
strictly between `t` and `s`; so on each gap between consecutive values `|xᵢ|` the root of `g` is
the explicit `E[|X|; |X| > t] / (c + P(|X| > t))` (`modelCandidate`). The largest `t` in
`{0} ∪ {|xᵢ|}` with `g(t) ≤ 0` gives the root (`modelMSE_fixed_point_exists`): no sorting and
no completeness of the field is needed, because the law is finite.

The fixed point is a global minimizer with quadratic growth,
`f(α*) + c·(β - α*)² ≤ f(β)` (`modelMSE_le_of_fixed_point`), from the pointwise
`((u - β)₊)² ≥ ((u - α)₊)² - 2(β - α)(u - α)₊`. Hence over `α > 0`: a minimizer exists iff the law
puts mass off `0` (`modelMSE_exists_minimizer_iff`); a positive `α` minimizes over `α > 0` iff it
is the fixed point (`modelMSE_isMinOn_pos_iff`); the minimizer is unique
(`modelMSE_minimizer_pos_unique`). For `X ≡ 0` the model is `c·α²` and no `α > 0` minimizes it
(`modelMSE_no_minimizer_of_zero`).

## Main definitions

* `posPartMean l α = E[(|X| - α)₊]`, `tailMass l t = P(|X| > t)`, `tailSum l t = E[|X|; |X| > t]`.
* `modelCandidate l c t = E[|X|; |X| > t] / (c + P(|X| > t))`: the finite candidate set is
  `t ∈ {0} ∪ {|xᵢ|}`.

## Main results

* `modelMSE_fixed_point_exists`, `modelMSE_exists_minimizer`, `modelMSE_exists_minimizer_iff`.
* `modelMSE_le_of_fixed_point`, `modelMSE_isMinOn_pos_iff`, `modelMSE_minimizer_pos_unique`.
* `modelMSE_no_minimizer_of_zero`.
-/

@[expose] public section

namespace LaAciq

section Existence

variable {K : Type} [OrderedField K]

/-- `E[(|X| - α)₊]`, the clipped mass beyond `α`. -/
noncomputable def posPartMean (l : List (K × K)) (a : K) : K :=
  expect l (fun x => maxS (absS x - a) 0)

/-- `P(|X| > t)`. -/
noncomputable def tailMass (l : List (K × K)) (t : K) : K :=
  expect l (fun x => if absS x ≤ t then 0 else 1)

/-- `E[|X|; |X| > t]`. -/
noncomputable def tailSum (l : List (K × K)) (t : K) : K :=
  expect l (fun x => if absS x ≤ t then 0 else absS x)

/-- The root of the first-order function on the gap above `t`:
`E[|X|; |X| > t] / (c + P(|X| > t))` (OCTAV's update solved on that gap). -/
noncomputable def modelCandidate (l : List (K × K)) (c t : K) : K :=
  tailSum l t / (c + tailMass l t)

/-- `P(|X| > t) ≥ 0`. -/
theorem tailMass_nonneg {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (t : K) :
    0 ≤ tailMass l t :=
  expect_nonneg hw (fun x => by
    have := Lean.Grind.OrderedRing.zero_le_one (R := K)
    split <;> grind)

/-- Pointwise: `(u - s)₊ ≥ (u - s)·𝟙(u > t)` for every `s` and `t`. -/
theorem posPart_ge_tail (u s t : K) :
    (if u ≤ t then 0 else u) + (-s) * (if u ≤ t then 0 else 1) ≤ maxS (u - s) 0 := by
  have h₁ := le_maxS_left (u - s) 0
  have h₂ := le_maxS_right (u - s) 0
  repeat' split
  all_goals grind

/-- `E[(|X| - s)₊] ≥ E[|X|; |X| > t] - s·P(|X| > t)` for every `s`, `t`. -/
theorem tail_le_posPartMean {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (s t : K) :
    tailSum l t - s * tailMass l t ≤ posPartMean l s := by
  have h := expect_mono hw (f := fun x => (if absS x ≤ t then 0 else absS x)
      + (-s) * (if absS x ≤ t then 0 else 1)) (g := fun x => maxS (absS x - s) 0)
    (fun x => posPart_ge_tail (absS x) s t)
  rw [expect_add, expect_const_mul] at h
  unfold tailSum tailMass posPartMean
  grind

/-- Equality when every atom lies on the same side of `t` as of `α`:
`E[(|X| - α)₊] = E[|X|; |X| > t] - α·P(|X| > t)`. -/
theorem posPartMean_eq_tail {l : List (K × K)} {a t : K}
    (h : ∀ p ∈ l, (absS p.1 ≤ t → absS p.1 ≤ a) ∧ (¬ absS p.1 ≤ t → a ≤ absS p.1)) :
    posPartMean l a = tailSum l t - a * tailMass l t := by
  have e := expect_congr (l := l) (f := fun x => maxS (absS x - a) 0)
    (g := fun x => (if absS x ≤ t then 0 else absS x) + (-a) * (if absS x ≤ t then 0 else 1))
    (fun p hp => by
      have := h p hp
      try dsimp only
      have := maxS_cases (absS p.1 - a) 0
      repeat' split
      all_goals grind)
  rw [expect_add, expect_const_mul] at e
  unfold posPartMean tailSum tailMass
  grind

/-- A candidate whose gap contains it is a fixed point: `c·α = E[(|X| - α)₊]` at
`α = E[|X|; |X| > t] / (c + P(|X| > t))` when no atom separates `t` from `α`. -/
theorem fixed_point_of_candidate {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {c t : K}
    (hc : 0 < c)
    (h : ∀ p ∈ l, (absS p.1 ≤ t → absS p.1 ≤ modelCandidate l c t) ∧
      (¬ absS p.1 ≤ t → modelCandidate l c t ≤ absS p.1)) :
    c * modelCandidate l c t = posPartMean l (modelCandidate l c t) := by
  rw [posPartMean_eq_tail h]
  have hm := tailMass_nonneg hw t
  have hD0 : c + tailMass l t ≠ 0 := by grind
  have e : modelCandidate l c t * (c + tailMass l t) = tailSum l t := by
    unfold modelCandidate; grind
  grind

/-- A largest element with a property among `t₀` and a list. -/
theorem exists_max_of_pred (P : K → Prop) (t₀ : K) (h₀ : P t₀) (vs : List K) :
    ∃ t, (t = t₀ ∨ t ∈ vs) ∧ P t ∧ ∀ v ∈ vs, P v → v ≤ t := by
  induction vs with
  | nil => exact ⟨t₀, Or.inl rfl, h₀, fun v hv => by simp at hv⟩
  | cons v vs ih =>
    obtain ⟨t, ht, hPt, hmax⟩ := ih
    by_cases hv : P v ∧ t ≤ v
    · refine ⟨v, Or.inr (List.mem_cons_self ..), hv.1, fun w hw hPw => ?_⟩
      rcases List.mem_cons.mp hw with hwv | hw'
      · rw [hwv]; grind
      · have := hmax w hw' hPw
        grind
    · refine ⟨t, ?_, hPt, fun w hw hPw => ?_⟩
      · rcases ht with h | h
        · exact Or.inl h
        · exact Or.inr (List.mem_cons_of_mem _ h)
      · rcases List.mem_cons.mp hw with hwv | hw'
        · rw [hwv] at hPw ⊢; grind
        · exact hmax w hw' hPw

/-- `E[|X|; |X| > 0] = E|X|`. -/
theorem tailSum_zero (l : List (K × K)) : tailSum l 0 = expect l (fun x => absS x) := by
  unfold tailSum
  exact expect_congr (fun p _ => by
    have := absS_nonneg p.1
    try dsimp only
    split <;> grind)

/-- **Existence of the fixed point**: for `c > 0` and `E|X| > 0` some candidate
`α = E[|X|; |X| > t] / (c + P(|X| > t))`, `t ∈ {0} ∪ {|xᵢ|}`, is positive and satisfies
`c·α = E[(|X| - α)₊]`. -/
theorem modelMSE_fixed_point_exists {l : List (K × K)} (hl : IsDist l) {c : K} (hc : 0 < c)
    (hX : 0 < expect l (fun x => absS x)) :
    ∃ t a, (t = 0 ∨ ∃ p ∈ l, t = absS p.1) ∧ a = modelCandidate l c t ∧ 0 < a ∧
      c * a = posPartMean l a := by
  have hP0 : c * 0 ≤ posPartMean l 0 := by
    have := expect_nonneg hl.1 (f := fun x => maxS (absS x - 0) 0)
      (fun x => le_maxS_right _ _)
    unfold posPartMean
    grind
  obtain ⟨t, ht, hPt, hmax⟩ := exists_max_of_pred (fun s => c * s ≤ posPartMean l s) 0 hP0
    (l.map (fun p => absS p.1))
  have hPt' : c * t ≤ posPartMean l t := hPt
  have ht' : t = 0 ∨ ∃ p ∈ l, t = absS p.1 := by
    rcases ht with h | h
    · exact Or.inl h
    · obtain ⟨p, hp, hpt⟩ := List.mem_map.mp h
      exact Or.inr ⟨p, hp, hpt.symm⟩
  have ht0 : 0 ≤ t := by
    rcases ht' with h | ⟨p, _, hp⟩
    · grind
    · have := absS_nonneg p.1; grind
  have hm := tailMass_nonneg hl.1 t
  have hD : 0 < c + tailMass l t := by grind
  have hD0 : c + tailMass l t ≠ 0 := by grind
  have e : modelCandidate l c t * (c + tailMass l t) = tailSum l t := by
    unfold modelCandidate; grind
  -- the threshold lies below the candidate
  have htt : posPartMean l t = tailSum l t - t * tailMass l t :=
    posPartMean_eq_tail (fun p _ => ⟨fun h => h, fun h => by grind⟩)
  have hta : t ≤ modelCandidate l c t := by
    by_cases h : t ≤ modelCandidate l c t
    · exact h
    · have := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left
        (show modelCandidate l c t < t by grind) hD
      grind
  -- no atom lies strictly between the threshold and the candidate
  have hgap : ∀ p ∈ l, (absS p.1 ≤ t → absS p.1 ≤ modelCandidate l c t) ∧
      (¬ absS p.1 ≤ t → modelCandidate l c t ≤ absS p.1) := by
    intro p hp
    refine ⟨fun h => by grind, fun h => ?_⟩
    by_cases hu : modelCandidate l c t ≤ absS p.1
    · exact hu
    · have hmem : absS p.1 ∈ l.map (fun p => absS p.1) := List.mem_map.mpr ⟨p, hp, rfl⟩
      have hnot : ¬ c * absS p.1 ≤ posPartMean l (absS p.1) := fun hP => h (hmax _ hmem hP)
      have hlow := tail_le_posPartMean hl.1 (absS p.1) t
      have := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left
        (show absS p.1 < modelCandidate l c t by grind) hD
      grind
  have hfix := fixed_point_of_candidate hl.1 hc hgap
  have hpos : 0 < modelCandidate l c t := by
    by_cases h0 : 0 < t
    · grind
    · have htz : t = 0 := by grind
      have hs : tailSum l t = expect l (fun x => absS x) := by rw [htz]; exact tailSum_zero l
      by_cases h : 0 < modelCandidate l c t
      · exact h
      · have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left
          (show modelCandidate l c t ≤ 0 by grind) (Std.le_of_lt hD)
        grind
  exact ⟨t, modelCandidate l c t, ht', rfl, hpos, hfix⟩

/-- Pointwise convexity bound: `((u - β)₊)² ≥ ((u - α)₊)² - 2(β - α)(u - α)₊`. -/
theorem sq_posPart_ge (u a b : K) :
    maxS (u - a) 0 ^ 2 + (-2 * (b - a)) * maxS (u - a) 0 ≤ maxS (u - b) 0 ^ 2 := by
  have hq := Lean.Grind.OrderedRing.sq_nonneg (a := maxS (u - b) 0)
  by_cases hp : u - a ≤ 0
  · have hm : maxS (u - a) 0 = 0 := maxS_eq_right (by grind)
    rw [hm]; grind
  · have hm : maxS (u - a) 0 = u - a := maxS_eq_left (by grind)
    by_cases hq' : u - b ≤ 0
    · have hz : maxS (u - b) 0 = 0 := maxS_eq_right (by grind)
      have m := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left
        (show u - a - 2 * (b - a) ≤ 0 by grind) (show (0 : K) ≤ u - a by grind)
      rw [hm, hz]; grind
    · have hz : maxS (u - b) 0 = u - b := maxS_eq_left (by grind)
      have := Lean.Grind.OrderedRing.sq_nonneg (a := b - a)
      rw [hm, hz]; grind

/-- The model MSE above its tangent: `f(β) ≥ f(α) + 2(β - α)(c·α - E[(|X| - α)₊]) + c(β - α)²`. -/
theorem modelMSE_growth {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (c a b : K) :
    modelMSE l c a + 2 * (b - a) * (c * a - posPartMean l a) + c * (b - a) ^ 2
      ≤ modelMSE l c b := by
  have h := expect_mono hw
    (f := fun x => maxS (absS x - a) 0 ^ 2 + (-2 * (b - a)) * maxS (absS x - a) 0)
    (g := fun x => maxS (absS x - b) 0 ^ 2) (fun x => sq_posPart_ge (absS x) a b)
  rw [expect_add, expect_const_mul] at h
  unfold modelMSE clipError posPartMean
  grind

/-- **The fixed point is a global minimizer**, with quadratic growth:
`c·α = E[(|X| - α)₊] → f(α) + c(β - α)² ≤ f(β)` for every `β`. -/
theorem modelMSE_le_of_fixed_point {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {c a : K}
    (ha : c * a = posPartMean l a) (b : K) :
    modelMSE l c a + c * (b - a) ^ 2 ≤ modelMSE l c b := by
  have h := modelMSE_growth hw c a b
  have hz : c * a - posPartMean l a = 0 := by grind
  rw [hz] at h
  grind

/-- Anything at most as good as a fixed point is that fixed point (`c > 0`). -/
theorem eq_of_modelMSE_le_fixed_point {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {c a : K}
    (hc : 0 < c) (ha : c * a = posPartMean l a) {b : K} (hb : modelMSE l c b ≤ modelMSE l c a) :
    b = a := by
  have h := modelMSE_le_of_fixed_point hw ha b
  by_cases hba : b = a
  · exact hba
  · have h1 := Lean.Grind.OrderedRing.sq_pos (a := b - a) (by grind)
    have h2 := Lean.Grind.OrderedRing.mul_pos hc h1
    grind

/-- **Existence**: for `c > 0` and `E|X| > 0` the model MSE has a positive global minimizer. -/
theorem modelMSE_exists_minimizer {l : List (K × K)} (hl : IsDist l) {c : K} (hc : 0 < c)
    (hX : 0 < expect l (fun x => absS x)) :
    ∃ a, 0 < a ∧ c * a = posPartMean l a ∧ ∀ b, modelMSE l c a ≤ modelMSE l c b := by
  obtain ⟨_, a, _, _, ha, hfix⟩ := modelMSE_fixed_point_exists hl hc hX
  refine ⟨a, ha, hfix, fun b => ?_⟩
  have h := modelMSE_le_of_fixed_point hl.1 hfix b
  have := Lean.Grind.OrderedRing.mul_nonneg (Std.le_of_lt hc)
    (Lean.Grind.OrderedRing.sq_nonneg (a := b - a))
  grind

/-- **Characterization over `α > 0`**: a positive `α` minimizes the model MSE over `α > 0` iff
`c·α = E[(|X| - α)₊]`. -/
theorem modelMSE_isMinOn_pos_iff {l : List (K × K)} (hl : IsDist l) {c : K} (hc : 0 < c)
    (hX : 0 < expect l (fun x => absS x)) {a : K} (_ha : 0 < a) :
    (∀ b, 0 < b → modelMSE l c a ≤ modelMSE l c b) ↔ c * a = posPartMean l a := by
  constructor
  · intro hmin
    obtain ⟨a', ha', hfix', _⟩ := modelMSE_exists_minimizer hl hc hX
    have heq := eq_of_modelMSE_le_fixed_point hl.1 hc hfix' (hmin a' ha')
    rw [heq]; exact hfix'
  · intro hfix b _
    have h := modelMSE_le_of_fixed_point hl.1 hfix b
    have := Lean.Grind.OrderedRing.mul_nonneg (Std.le_of_lt hc)
      (Lean.Grind.OrderedRing.sq_nonneg (a := b - a))
    grind

/-- **Uniqueness over `α > 0`**: two minimizers over `α > 0` coincide. -/
theorem modelMSE_minimizer_pos_unique {l : List (K × K)} (hl : IsDist l) {c : K} (hc : 0 < c)
    (hX : 0 < expect l (fun x => absS x)) {a b : K} (ha : 0 < a) (_hb : 0 < b)
    (hma : ∀ z, 0 < z → modelMSE l c a ≤ modelMSE l c z)
    (hmb : ∀ z, 0 < z → modelMSE l c b ≤ modelMSE l c z) : a = b := by
  have fa := (modelMSE_isMinOn_pos_iff hl hc hX ha).mp hma
  exact (eq_of_modelMSE_le_fixed_point hl.1 hc fa (hmb a ha)).symm

/-- A sum vanishes when each atom has weight `0` or integrand `0`. -/
theorem expect_eq_zero_of {l : List (K × K)} {f : K → K} (h : ∀ p ∈ l, p.2 = 0 ∨ f p.1 = 0) :
    expect l f = 0 := by
  induction l with
  | nil => rfl
  | cons p t ih =>
    simp only [expect]
    have := ih (fun q hq => h q (List.mem_cons_of_mem _ hq))
    rcases h p (List.mem_cons_self ..) with h1 | h1
    · rw [h1]; grind
    · rw [h1]; grind

/-- **No minimizer for `X ≡ 0`**: the model is `c·α²` on `α > 0`, whose infimum `0` is not
attained there. -/
theorem modelMSE_no_minimizer_of_zero {l : List (K × K)} {c : K} (hc : 0 < c)
    (h0 : ∀ p ∈ l, p.1 = 0 ∨ p.2 = 0) :
    ¬ ∃ a, 0 < a ∧ ∀ b, 0 < b → modelMSE l c a ≤ modelMSE l c b := by
  intro ⟨a, ha, hmin⟩
  have hz : ∀ b : K, 0 < b → clipError l b = 0 := by
    intro b hb
    unfold clipError
    apply expect_eq_zero_of
    intro p hp
    rcases h0 p hp with h | h
    · right
      show maxS (absS p.1 - b) 0 ^ 2 = 0
      rw [h, absS_of_nonneg (show (0 : K) ≤ 0 by grind),
        maxS_eq_right (show (0 : K) - b ≤ 0 by grind)]
      grind
    · left; exact h
  have h1 := hmin (a / 2) (by grind)
  unfold modelMSE at h1
  rw [hz a ha, hz (a / 2) (by grind)] at h1
  have h2 := Lean.Grind.OrderedRing.mul_pos hc (Lean.Grind.OrderedRing.sq_pos (a := a) (by grind))
  grind

/-- Mass off `0` makes `E|X|` positive. -/
theorem expect_abs_pos_of_atom {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2)
    (h : ∃ p ∈ l, p.1 ≠ 0 ∧ 0 < p.2) : 0 < expect l (fun x => absS x) := by
  induction l with
  | nil =>
    obtain ⟨p, hp, _⟩ := h
    simp at hp
  | cons q t ih =>
    simp only [expect]
    have hwt : ∀ r ∈ t, 0 ≤ r.2 := fun r hr => hw r (List.mem_cons_of_mem _ hr)
    have hq0 : 0 ≤ q.2 * absS q.1 :=
      Lean.Grind.OrderedRing.mul_nonneg (hw q (List.mem_cons_self ..)) (absS_nonneg q.1)
    have ht0 := expect_nonneg hwt (f := fun x => absS x) absS_nonneg
    obtain ⟨p, hp, hp1, hp2⟩ := h
    rcases List.mem_cons.mp hp with hpq | hpt
    · rw [hpq] at hp1 hp2
      have := Lean.Grind.OrderedRing.mul_pos hp2 (absS_pos hp1)
      grind
    · have := ih hwt ⟨p, hpt, hp1, hp2⟩
      grind

/-- **Existence iff mass off `0`**: the model MSE (`c > 0`) has a minimizer over `α > 0` iff
`P(X ≠ 0) > 0`, i.e. some atom `x ≠ 0` has positive weight. -/
theorem modelMSE_exists_minimizer_iff {l : List (K × K)} (hl : IsDist l) {c : K} (hc : 0 < c) :
    (∃ a, 0 < a ∧ ∀ b, 0 < b → modelMSE l c a ≤ modelMSE l c b) ↔
      ∃ p ∈ l, p.1 ≠ 0 ∧ 0 < p.2 := by
  constructor
  · intro hex
    by_cases h : ∃ p ∈ l, p.1 ≠ 0 ∧ 0 < p.2
    · exact h
    · exfalso
      refine modelMSE_no_minimizer_of_zero hc (fun p hp => ?_) hex
      have hp0 := hl.1 p hp
      by_cases h1 : p.1 = 0
      · exact Or.inl h1
      · have hn : ¬ 0 < p.2 := fun h2 => h ⟨p, hp, h1, h2⟩
        exact Or.inr (by grind)
  · intro h
    obtain ⟨a, ha, _, hmin⟩ := modelMSE_exists_minimizer hl hc (expect_abs_pos_of_atom hl.1 h)
    exact ⟨a, ha, fun b _ => hmin b⟩

end Existence

end LaAciq
