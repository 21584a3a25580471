/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Existence
public import LaAciq.Refutations

/-!
# The true MSE: a global optimum exists among finitely many candidates; more bits never hurt

For `α > 0` write `Q_α(x) = step · k_α(x)` with the integer **code** `k_α(x) = round(clip/step)`,
`|k_α(x)| ≤ L = 2^(B-1) - 1` (`code`, `code_mem`). `Q_β(x)` is a nearest point of the grid
`{j · step β : |j| ≤ L}` (`sq_sub_quantize_le_grid`), so for every code assignment `k` with
`|k| ≤ L` the true MSE lies below the **frozen-code error** `E[(X - s·k(X))²]` at `s = step β`
(`mse_le_gridErr`), with equality for `k = k_α` at `β = α` (`mse_eq_gridErr_code`). The frozen-code
error is the quadratic `E[X²] - 2s·E[Xk] + s²·E[k²]` (`gridErr_eq`) with vertex
`s* = E[Xk]/E[k²]`; and `2·E[X k_α] ≥ step α · E[k_α²]` (`codeSq_mul_le`), so the vertex is
positive. Hence

    MSE(L · E[X k_α] / E[k_α²]) ≤ MSE(α)        (`mse_codeVertex_le`)

whenever `E[k_α²] > 0`, and `MSE(β) ≤ E[X²] = MSE(α)` for every `β > 0` otherwise. There are
finitely many code vectors on the atoms, so the vertices form an explicit finite list
(`trueCandidates`, built from `codeSums`), and a global minimizer over `α > 0` exists in that list
(`mse_exists_minimizer`). This is the theorem behind the exact solver: for every `α` (in
particular a global minimizer), the vertex of the rounding assignment at `α` is at least as good,
so `min_α MSE = min over rounding assignments k of (E[X²] - E[Xk]²/E[k²])`, each value attained at
`α = L·E[Xk]/E[k²]`.

**Bit-width.** With `α' = α·L_{B+1}/L_B` (`L_{B+1} = 2^B - 1`) the `(B+1)`-bit grid has the step of
the `B`-bit grid and contains it, so `(x - Q'x)² ≤ (x - Qx)²` pointwise
(`sq_sub_quantize_bit_up`), `MSE_{B+1}(α') ≤ MSE_B(α)` (`mse_bit_up`) and the optimal MSE does not
increase with `B` (`optimal_mse_antitone_bits`). At a fixed `α` it can increase: a point mass at
`1/3` with `α = 1` has MSE `0` at 3 bits and `1/441` at 4 bits (`mse_fixed_alpha_bits_up`).

## Main results

* `sq_sub_roundS_le`, `sq_sub_quantize_le_grid`: rounding and the quantizer are nearest-point maps.
* `roundS_eq_of_halves`, `code_eq_of_no_breakpoint`, `code_of_alpha_le`: codes are constant
  between breakpoints `x/(j + 1/2)` (the pieces the exact solver scans); a clipped value has
  code `L` at every step that clips it.
* `mse_le_gridErr`, `mse_eq_gridErr_code`, `gridErr_eq`, `gridErr_vertex_le`, `codeSq_mul_le`.
* `mse_codeVertex_le`, `mse_le_of_codeSq_eq_zero`, `mse_le_candidate`, `mse_exists_minimizer`.
* `mse_bit_up`, `mse_exists_bit_up`, `optimal_mse_antitone_bits`, `mse_fixed_alpha_bits_up`.
-/

@[expose] public section

namespace LaAciq

attribute [local instance] Lean.Grind.Semiring.natCast Lean.Grind.Ring.intCast

section Candidates

variable {K : Type} [OrderedField K]

section

variable [IntFloor K]

/-- The integer code of the quantizer: `Q_α(x) = step · code`. -/
noncomputable def code (a : K) (B : Nat) (x : K) : Int := roundS (clip a x / step a B)

/-- `Q_α(x) = step · code_α(x)`. -/
theorem quantize_eq_code (a : K) (B : Nat) (x : K) :
    quantize a B x = step a B * ((code a B x : Int) : K) := by
  rfl

/-- The code lies in `[-L, L]`. -/
theorem code_mem {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    -(levels B : Int) ≤ code a B x ∧ code a B x ≤ (levels B : Int) := by
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hc := clip_in_range (Std.le_of_lt ha) x
  have hL := intCast_levels (K := K) B
  have hn := Lean.Grind.Ring.intCast_neg (α := K) (levels B : Int)
  unfold code
  constructor
  · apply le_roundS_of_le
    apply le_div_of_mul_le_of_pos hs
    grind
  · apply roundS_le_of_le
    apply div_le_of_le_mul_of_pos hs
    grind

end

section

variable [IntFloor K]

/-- If every half-integer `j + 1/2` at or below `y` is at or below `y'`, then
`round y ≤ round y'`. -/
theorem roundS_le_of_halves {y y' : K}
    (h : ∀ j : Int, (j : K) + 1 / 2 ≤ y → (j : K) + 1 / 2 ≤ y') : roundS y ≤ roundS y' := by
  have a := IntFloor.floor_le (y + 1 / 2)
  have b := IntFloor.lt_floor_add_one (y' + 1 / 2)
  have c := Lean.Grind.Ring.intCast_sub (α := K) (roundS y) 1
  have e := Lean.Grind.Ring.intCast_add (α := K) (roundS y') 1
  have d := h (roundS y - 1) (by unfold roundS at *; grind)
  have f : roundS y < roundS y' + 1 :=
    Lean.Grind.OrderedRing.lt_of_intCast_lt_intCast (R := K) _ _ (by unfold roundS at *; grind)
  omega

/-- Rounding is decided by the half-integers at or below its argument: `round y = round y'`
when the same `j + 1/2` lie at or below `y` and `y'`. -/
theorem roundS_eq_of_halves {y y' : K}
    (h : ∀ j : Int, ((j : K) + 1 / 2 ≤ y ↔ (j : K) + 1 / 2 ≤ y')) : roundS y = roundS y' := by
  have h₁ := roundS_le_of_halves (K := K) (fun j hj => (h j).1 hj)
  have h₂ := roundS_le_of_halves (K := K) (fun j hj => (h j).2 hj)
  omega

/-- Codes are constant between breakpoints: a value `x` inside both clipping ranges gets the same
code at `a` and at `a'` when no breakpoint `x/(j + 1/2)` separates their steps, i.e. for every
integer `j` the inequality `(j + 1/2)·step ≤ x` holds at both steps or at neither. -/
theorem code_eq_of_no_breakpoint {a a' : K} (ha : 0 < a) (ha' : 0 < a') {B : Nat}
    (hB : 2 ≤ B) {x : K} (h₁ : -a ≤ x ∧ x ≤ a) (h₂ : -a' ≤ x ∧ x ≤ a')
    (h : ∀ j : Int, (((j : K) + 1 / 2) * step a B ≤ x ↔ ((j : K) + 1 / 2) * step a' B ≤ x)) :
    code a B x = code a' B x := by
  have hs := step_pos ha hB
  have hs' := step_pos ha' hB
  unfold code
  rw [clip_of_in_range h₁.1 h₁.2, clip_of_in_range h₂.1 h₂.2]
  apply roundS_eq_of_halves
  intro j
  constructor
  · intro hj
    have m := (h j).1 (mul_le_of_le_div_of_pos hs hj)
    exact le_div_of_mul_le_of_pos hs' (by grind)
  · intro hj
    have m := (h j).2 (mul_le_of_le_div_of_pos hs' hj)
    exact le_div_of_mul_le_of_pos hs (by grind)

/-- A clipped value has the extreme code: `x ≥ a` gives `code = L`. -/
theorem code_of_alpha_le {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) {x : K} (h : a ≤ x) :
    code a B x = (levels B : Int) := by
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hL := intCast_levels (K := K) B
  unfold code
  rw [clip_of_alpha_le (Std.le_of_lt ha) h]
  have e : a / step a B = (((levels B : Int)) : K) := by
    rw [hL]
    grind
  rw [e, roundS_intCast]

/-- Rounding is a nearest integer: `(y - round y)² ≤ (y - j)²` for every integer `j`. -/
theorem sq_sub_roundS_le (y : K) (j : Int) :
    (y - ((roundS y : Int) : K)) ^ 2 ≤ (y - ((j : Int) : K)) ^ 2 := by
  obtain ⟨r₁, r₂⟩ := roundS_sub_le y
  have e1 := Lean.Grind.Ring.intCast_add (α := K) (roundS y) 1
  have e2 := Lean.Grind.Ring.intCast_add (α := K) j 1
  have e3 := Lean.Grind.Ring.intCast_one (α := K)
  by_cases hj : j = roundS y
  · subst hj; grind
  · by_cases hlt : roundS y < j
    · have h1 := intCast_le_intCast_of_le (K := K) (show roundS y + 1 ≤ j by omega)
      have hA : 0 ≤ ((j : Int) : K) - ((roundS y : Int) : K) := by grind
      have hB : 0 ≤ ((j : Int) : K) + ((roundS y : Int) : K) - 2 * y := by grind
      have m := Lean.Grind.OrderedRing.mul_nonneg hA hB
      grind
    · have h1 := intCast_le_intCast_of_le (K := K) (show j + 1 ≤ roundS y by omega)
      have hA : 0 ≤ ((roundS y : Int) : K) - ((j : Int) : K) := by grind
      have hB : 0 ≤ 2 * y - ((j : Int) : K) - ((roundS y : Int) : K) := by grind
      have m := Lean.Grind.OrderedRing.mul_nonneg hA hB
      grind

/-- Scaled rounding is a nearest point of the scaled integers: for `x = s·y`, `s ≥ 0`,
`(x - s·round y)² ≤ (x - s·j)²`. -/
theorem sq_sub_mul_roundS_le {s x y : K} (_hs : 0 ≤ s) (e : s * y = x) (j : Int) :
    (x - s * ((roundS y : Int) : K)) ^ 2 ≤ (x - s * ((j : Int) : K)) ^ 2 := by
  have hr := sq_sub_roundS_le y j
  have m := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hr
    (Lean.Grind.OrderedRing.sq_nonneg (a := s))
  subst e
  have e1 : (s * y - s * ((roundS y : Int) : K)) ^ 2
      = s ^ 2 * (y - ((roundS y : Int) : K)) ^ 2 := by grind
  have e2 : (s * y - s * ((j : Int) : K)) ^ 2 = s ^ 2 * (y - ((j : Int) : K)) ^ 2 := by grind
  rw [e1, e2]
  exact m

/-- **The quantizer is a nearest grid point**: `(x - Q_α x)² ≤ (x - j·step)²` for every
`|j| ≤ L`. -/
theorem sq_sub_quantize_le_grid {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) {j : Int}
    (hj₁ : -(levels B : Int) ≤ j) (hj₂ : j ≤ (levels B : Int)) :
    (x - quantize a B x) ^ 2 ≤ (x - step a B * ((j : Int) : K)) ^ 2 := by
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hL := intCast_levels (K := K) B
  have hn := Lean.Grind.Ring.intCast_neg (α := K) (levels B : Int)
  have h₁ := intCast_le_intCast_of_le (K := K) hj₁
  have h₂ := intCast_le_intCast_of_le (K := K) hj₂
  have m₁ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h₁ (Std.le_of_lt hs)
  have m₂ := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h₂ (Std.le_of_lt hs)
  by_cases hx₁ : a ≤ x
  · rw [quantize_of_alpha_le ha hB hx₁]
    exact sq_le_sq_of_nonneg_of_le (by grind) (by grind)
  · by_cases hx₂ : x ≤ -a
    · rw [quantize_of_le_neg_alpha ha hB hx₂]
      have := sq_le_sq_of_nonneg_of_le (u := -(x - -a)) (v := -(x - step a B * ((j : Int) : K)))
        (by grind) (by grind)
      grind
    · have hin₁ : -a ≤ x := by grind
      have hin₂ : x ≤ a := by grind
      have hcl := clip_of_in_range hin₁ hin₂
      have e : step a B * (x / step a B) = x := by grind
      unfold quantize
      rw [hcl]
      exact sq_sub_mul_roundS_le (Std.le_of_lt hs) e j

/-- The error of a frozen code assignment `k` at step `s`: `E[(X - s·k(X))²]`. -/
noncomputable def gridErr (l : List (K × K)) (k : K → Int) (s : K) : K :=
  expect l (fun x => (x - s * ((k x : Int) : K)) ^ 2)

/-- `E[X·k(X)]`. -/
noncomputable def codeDot (l : List (K × K)) (k : K → Int) : K :=
  expect l (fun x => x * ((k x : Int) : K))

/-- `E[k(X)²]`. -/
noncomputable def codeSq (l : List (K × K)) (k : K → Int) : K :=
  expect l (fun x => ((k x : Int) : K) ^ 2)

/-- The vertex threshold of a code assignment: `L · E[Xk] / E[k²]`. -/
noncomputable def codeVertex (l : List (K × K)) (B : Nat) (k : K → Int) : K :=
  ((levels B : Nat) : K) * (codeDot l k / codeSq l k)

/-- The true MSE lies below every frozen-code error with codes in `[-L, L]`. -/
theorem mse_le_gridErr {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {b : K} (hb : 0 < b)
    {B : Nat} (hB : 2 ≤ B) {k : K → Int}
    (hk : ∀ x, -(levels B : Int) ≤ k x ∧ k x ≤ (levels B : Int)) :
    mse l b B ≤ gridErr l k (step b B) :=
  expect_mono hw (fun x => sq_sub_quantize_le_grid hb hB x (hk x).1 (hk x).2)

/-- With its own codes the frozen-code error is the true MSE. -/
theorem mse_eq_gridErr_code (l : List (K × K)) (a : K) (B : Nat) :
    mse l a B = gridErr l (code a B) (step a B) := by
  rfl

end

/-- The frozen-code error is a quadratic in the step: `E[X²] - 2s·E[Xk] + s²·E[k²]`. -/
theorem gridErr_eq (l : List (K × K)) (k : K → Int) (s : K) :
    gridErr l k s = expect l (fun x => x ^ 2) - 2 * s * codeDot l k + s ^ 2 * codeSq l k := by
  unfold gridErr codeDot codeSq
  have e : (fun x => (x - s * ((k x : Int) : K)) ^ 2) = (fun x => x ^ 2
      + ((-2 * s) * (x * ((k x : Int) : K)) + s ^ 2 * ((k x : Int) : K) ^ 2)) := by
    funext x; grind
  rw [e, expect_add, expect_add, expect_const_mul, expect_const_mul]
  grind

/-- The vertex `s* = E[Xk]/E[k²]` minimizes the frozen-code error (`E[k²] > 0`). -/
theorem gridErr_vertex_le (l : List (K × K)) (k : K → Int) (s : K) (hK : 0 < codeSq l k) :
    gridErr l k (codeDot l k / codeSq l k) ≤ gridErr l k s := by
  rw [gridErr_eq, gridErr_eq]
  have hv : codeDot l k / codeSq l k * codeSq l k = codeDot l k := by grind
  have key : ∀ v : K, v * codeSq l k = codeDot l k →
      expect l (fun x => x ^ 2) - 2 * v * codeDot l k + v ^ 2 * codeSq l k
        + codeSq l k * (s - v) ^ 2
      = expect l (fun x => x ^ 2) - 2 * s * codeDot l k + s ^ 2 * codeSq l k := by
    intro v h
    rw [← h]
    grind
  have e := key _ hv
  have hsq := Lean.Grind.OrderedRing.sq_nonneg (a := s - codeDot l k / codeSq l k)
  have m := Lean.Grind.OrderedRing.mul_nonneg (Std.le_of_lt hK) hsq
  grind

section

variable [IntFloor K]

/-- Pointwise `step · k² ≤ 2·x·k` for the codes at `α` (from the nearest-point property at `j = 0`). -/
theorem code_mul_le {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    step a B * ((code a B x : Int) : K) ^ 2 ≤ 2 * (x * ((code a B x : Int) : K)) := by
  have h := sq_sub_quantize_le_grid ha hB x (j := 0) (by omega) (by omega)
  rw [quantize_eq_code, Lean.Grind.Ring.intCast_zero] at h
  have hs := step_pos ha hB
  by_cases hc : step a B * ((code a B x : Int) : K) ^ 2 ≤ 2 * (x * ((code a B x : Int) : K))
  · exact hc
  · have m := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left
      (show 2 * (x * ((code a B x : Int) : K)) < step a B * ((code a B x : Int) : K) ^ 2 by
        grind) hs
    grind

/-- `step α · E[k_α²] ≤ 2·E[X k_α]`: the vertex of the own codes is positive. -/
theorem codeSq_mul_le {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {a : K} (ha : 0 < a)
    {B : Nat} (hB : 2 ≤ B) : step a B * codeSq l (code a B) ≤ 2 * codeDot l (code a B) := by
  unfold codeSq codeDot
  rw [← expect_const_mul, ← expect_const_mul]
  exact expect_mono hw (fun x => code_mul_le ha hB x)

/-- **The vertex of the rounding codes at `α` is at least as good as `α`**: if `E[k_α²] > 0`
then `β = L·E[X k_α]/E[k_α²]` is positive and `MSE(β) ≤ MSE(α)`. -/
theorem mse_codeVertex_le {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {a : K} (ha : 0 < a)
    {B : Nat} (hB : 2 ≤ B) (hK : 0 < codeSq l (code a B)) :
    0 < codeVertex l B (code a B) ∧ mse l (codeVertex l B (code a B)) B ≤ mse l a B := by
  have hs := step_pos ha hB
  have hL := levels_cast_pos (K := K) hB
  have hM := codeSq_mul_le hw ha hB (l := l)
  have hsK := Lean.Grind.OrderedRing.mul_pos hs hK
  have hMpos : 0 < codeDot l (code a B) := by grind
  have hv := div_pos_of_pos hMpos hK
  have hb : 0 < codeVertex l B (code a B) := Lean.Grind.OrderedRing.mul_pos hL hv
  have hstep : step (codeVertex l B (code a B)) B = codeDot l (code a B) / codeSq l (code a B) := by
    unfold step codeVertex; grind
  refine ⟨hb, ?_⟩
  have h1 := mse_le_gridErr hw hb hB (k := code a B) (fun x => code_mem ha hB x)
  rw [hstep] at h1
  have h2 := gridErr_vertex_le l (code a B) (step a B) hK
  rw [mse_eq_gridErr_code l a B]
  grind

end

/-- `E[k²] = 0` forces `E[Xk] = 0` (the frozen-code error is never negative). -/
theorem codeDot_eq_zero_of_codeSq {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (k : K → Int)
    (hK : codeSq l k = 0) : codeDot l k = 0 := by
  by_cases h : codeDot l k = 0
  · exact h
  · have hA : 0 ≤ expect l (fun x => x ^ 2) :=
      expect_nonneg hw (fun _ => Lean.Grind.OrderedRing.sq_nonneg)
    have hE : 0 ≤ gridErr l k ((expect l (fun x => x ^ 2) + 1) / (2 * codeDot l k)) :=
      expect_nonneg hw (fun _ => Lean.Grind.OrderedRing.sq_nonneg)
    rw [gridErr_eq, hK] at hE
    have e : 2 * ((expect l (fun x => x ^ 2) + 1) / (2 * codeDot l k)) * codeDot l k
        = expect l (fun x => x ^ 2) + 1 := by grind
    grind

section

variable [IntFloor K]

/-- The degenerate case: if every code at `α` vanishes on the law (`E[k_α²] = 0`), every `β > 0`
is at least as good as `α` (both sides are compared with `E[X²]`). -/
theorem mse_le_of_codeSq_eq_zero {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {a : K}
    (_ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (hK : codeSq l (code a B) = 0) {b : K} (hb : 0 < b) :
    mse l b B ≤ mse l a B := by
  have hM0 := codeDot_eq_zero_of_codeSq hw (code a B) hK
  have h1 := mse_le_gridErr hw hb hB (k := fun _ => 0) (fun _ =>
    ⟨by show -(levels B : Int) ≤ 0; omega, by show (0 : Int) ≤ (levels B : Int); omega⟩)
  have h0 : gridErr l (fun _ => 0) (step b B) = expect l (fun x => x ^ 2) := by
    unfold gridErr
    congr 1
    funext x
    show (x - step b B * ((0 : Int) : K)) ^ 2 = x ^ 2
    rw [Lean.Grind.Ring.intCast_zero]
    grind
  rw [mse_eq_gridErr_code l a B, gridErr_eq, hK, hM0]
  grind

/-- The codes `-L, …, L`. -/
noncomputable def codeRange (L : Nat) : List Int :=
  (List.range (2 * L + 1)).map (fun i : Nat => (i : Int) - (L : Int))

/-- Every code in `[-L, L]` is listed. -/
theorem mem_codeRange {L : Nat} {j : Int} (h₁ : -(L : Int) ≤ j) (h₂ : j ≤ (L : Int)) :
    j ∈ codeRange L :=
  List.mem_map.mpr ⟨(j + L).toNat, List.mem_range.mpr (by omega), by
    show (((j + L).toNat : Nat) : Int) - (L : Int) = j
    omega⟩

/-- The pairs `(E[Xk], E[k²])` of every code vector `k ∈ [-L, L]^n` on the atoms (a finite list). -/
noncomputable def codeSums (L : Nat) : List (K × K) → List (K × K)
  | [] => [(0, 0)]
  | p :: t => (codeSums L t).flatMap (fun d => (codeRange L).map (fun j =>
      (p.2 * (p.1 * ((j : Int) : K)) + d.1, p.2 * ((j : Int) : K) ^ 2 + d.2)))

end

/-- Every code assignment with codes in `[-L, L]` appears in `codeSums`. -/
theorem mem_codeSums (L : Nat) (k : K → Int) (hk : ∀ x, -(L : Int) ≤ k x ∧ k x ≤ (L : Int))
    (l : List (K × K)) : (codeDot l k, codeSq l k) ∈ codeSums L l := by
  induction l with
  | nil =>
    exact List.mem_singleton_self _
  | cons p t ih =>
    simp only [codeSums]
    apply List.mem_flatMap.mpr
    refine ⟨_, ih, ?_⟩
    apply List.mem_map.mpr
    exact ⟨k p.1, mem_codeRange (hk p.1).1 (hk p.1).2, rfl⟩

section

variable [IntFloor K]

/-- **The candidate thresholds** at `B` bits: `1`, and the vertex `L·E[Xk]/E[k²]` of every code
vector `k ∈ [-L, L]^n` on the atoms (entries with `E[k²] = 0` or `E[Xk] ≤ 0` are not positive and
never chosen). -/
noncomputable def trueCandidates (l : List (K × K)) (B : Nat) : List K :=
  1 :: (codeSums (levels B) l).map (fun d => ((levels B : Nat) : K) * (d.1 / d.2))

/-- **Every threshold is beaten by a candidate**: for `α > 0` some positive `β` in the finite list
`trueCandidates l B` has `MSE(β) ≤ MSE(α)`. -/
theorem mse_le_candidate {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {B : Nat} (hB : 2 ≤ B)
    {a : K} (ha : 0 < a) : ∃ b ∈ trueCandidates l B, 0 < b ∧ mse l b B ≤ mse l a B := by
  have hK0 : 0 ≤ codeSq l (code a B) :=
    expect_nonneg hw (fun _ => Lean.Grind.OrderedRing.sq_nonneg)
  by_cases hK : 0 < codeSq l (code a B)
  · obtain ⟨hb, hle⟩ := mse_codeVertex_le hw ha hB hK
    refine ⟨codeVertex l B (code a B), ?_, hb, hle⟩
    exact List.mem_cons_of_mem _ (List.mem_map.mpr ⟨(codeDot l (code a B), codeSq l (code a B)),
      mem_codeSums (levels B) (code a B) (fun x => code_mem ha hB x) l, rfl⟩)
  · have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
    refine ⟨1, List.mem_cons_self .., h01, ?_⟩
    exact mse_le_of_codeSq_eq_zero hw ha hB (by grind) h01

end

/-- A least value of `f` among the list entries with a property (Mathlib:
`Finset.exists_min_image` on the filtered list). -/
theorem exists_min_of_list {α : Type} (f : α → K) (P : α → Prop) (vs : List α)
    (h : ∃ v ∈ vs, P v) :
    ∃ v ∈ vs, P v ∧ ∀ w ∈ vs, P w → f v ≤ f w := by
  induction vs with
  | nil =>
    obtain ⟨v, hv, _⟩ := h
    simp at hv
  | cons u vs ih =>
    by_cases hex : ∃ v ∈ vs, P v
    · obtain ⟨v, hv, hPv, hmin⟩ := ih hex
      by_cases hu : P u ∧ f u ≤ f v
      · refine ⟨u, List.mem_cons_self .., hu.1, fun w hw hPw => ?_⟩
        rcases List.mem_cons.mp hw with hwu | hw'
        · rw [hwu]; grind
        · have := hmin w hw' hPw
          grind
      · refine ⟨v, List.mem_cons_of_mem _ hv, hPv, fun w hw hPw => ?_⟩
        rcases List.mem_cons.mp hw with hwu | hw'
        · rw [hwu] at hPw ⊢; grind
        · exact hmin w hw' hPw
    · have hPu : P u := by
        obtain ⟨v, hv, hPv⟩ := h
        rcases List.mem_cons.mp hv with hvu | hv'
        · rw [hvu] at hPv; exact hPv
        · exact (hex ⟨v, hv', hPv⟩).elim
      refine ⟨u, List.mem_cons_self .., hPu, fun w hw hPw => ?_⟩
      rcases List.mem_cons.mp hw with hwu | hw'
      · rw [hwu]; grind
      · exact (hex ⟨w, hw', hPw⟩).elim

section

variable [IntFloor K]

/-- **Existence of the optimal clip for the true MSE**: for every finite law and `B ≥ 2` a global
minimizer over `α > 0` exists, and one lies in the finite list `trueCandidates l B`. -/
theorem mse_exists_minimizer {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {B : Nat}
    (hB : 2 ≤ B) :
    ∃ a ∈ trueCandidates l B, 0 < a ∧ ∀ b, 0 < b → mse l a B ≤ mse l b B := by
  obtain ⟨v, hv, hPv, hmin⟩ := exists_min_of_list (fun b => mse l b B) (fun b => 0 < b)
    (trueCandidates l B)
    ⟨1, List.mem_cons_self .., Lean.Grind.OrderedRing.zero_lt_one (R := K)⟩
  refine ⟨v, hv, hPv, fun b hb => ?_⟩
  obtain ⟨c, hc, hcpos, hcle⟩ := mse_le_candidate hw hB hb
  have h := hmin c hc hcpos
  have h' : mse l v B ≤ mse l c B := h
  grind

/-- More bits keep the old grid: `levels B ≤ levels (B + 1)`. -/
theorem levels_le_levels_succ (B : Nat) : levels B ≤ levels (B + 1) := by
  unfold levels
  cases B with
  | zero => decide
  | succ n =>
    have e1 : n + 1 - 1 = n := by omega
    have e2 : n + 1 + 1 - 1 = n + 1 := by omega
    rw [e1, e2, Nat.pow_succ]
    omega

end

/-- `α' = α·L_{B+1}/L_B` gives the `(B+1)`-bit grid the step of the `B`-bit grid. -/
theorem step_bit_up (a : K) {B : Nat} (hB : 2 ≤ B) :
    step (a * ((levels (B + 1) : Nat) : K) / ((levels B : Nat) : K)) (B + 1) = step a B := by
  have h1 := levels_cast_pos (K := K) hB
  have h2 := levels_cast_pos (K := K) (B := B + 1) (by omega)
  unfold step
  grind

/-- `α' = α·L_{B+1}/L_B` is positive. -/
theorem bit_up_pos {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) :
    0 < a * ((levels (B + 1) : Nat) : K) / ((levels B : Nat) : K) := by
  have h1 := levels_cast_pos (K := K) hB
  have h2 := levels_cast_pos (K := K) (B := B + 1) (by omega)
  exact div_pos_of_pos (Lean.Grind.OrderedRing.mul_pos ha h2) h1

section

variable [IntFloor K]

/-- **Pointwise, one more bit never hurts** at `α' = α·L_{B+1}/L_B`:
`(x - Q_{α',B+1} x)² ≤ (x - Q_{α,B} x)²`. -/
theorem sq_sub_quantize_bit_up {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    (x - quantize (a * ((levels (B + 1) : Nat) : K) / ((levels B : Nat) : K)) (B + 1) x) ^ 2
      ≤ (x - quantize a B x) ^ 2 := by
  obtain ⟨h₁, h₂⟩ := code_mem ha hB x
  have hle := levels_le_levels_succ B
  have h := sq_sub_quantize_le_grid (bit_up_pos ha hB) (show 2 ≤ B + 1 by omega) x
    (j := code a B x) (by omega) (by omega)
  rw [step_bit_up a hB, ← quantize_eq_code] at h
  exact h

/-- `MSE_{B+1}(α·L_{B+1}/L_B) ≤ MSE_B(α)`. -/
theorem mse_bit_up {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {a : K} (ha : 0 < a) {B : Nat}
    (hB : 2 ≤ B) :
    mse l (a * ((levels (B + 1) : Nat) : K) / ((levels B : Nat) : K)) (B + 1) ≤ mse l a B :=
  expect_mono hw (fun x => sq_sub_quantize_bit_up ha hB x)

/-- For every `α > 0` some `α' > 0` has `MSE_{B+1}(α') ≤ MSE_B(α)`. -/
theorem mse_exists_bit_up {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {a : K} (ha : 0 < a)
    {B : Nat} (hB : 2 ≤ B) : ∃ a', 0 < a' ∧ mse l a' (B + 1) ≤ mse l a B :=
  ⟨_, bit_up_pos ha hB, mse_bit_up hw ha hB⟩

/-- **The optimal MSE does not increase with the bit-width**: for optima `α` at `B` bits and
`α'` at `B + 1` bits, `MSE_{B+1}(α') ≤ MSE_B(α)`. -/
theorem optimal_mse_antitone_bits {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {B : Nat}
    (hB : 2 ≤ B) {a a' : K} (ha : 0 < a)
    (ha' : ∀ b, 0 < b → mse l a' (B + 1) ≤ mse l b (B + 1)) :
    mse l a' (B + 1) ≤ mse l a B := by
  have h1 := ha' _ (bit_up_pos ha hB)
  have h2 := mse_bit_up hw ha hB (l := l)
  grind

end

/-- `step α B = α / n` when `levels B = n`. -/
theorem step_of_levels_eq (a : K) {B n : Nat} (h : levels B = n) :
    step a B = a / ((n : Nat) : K) := by
  unfold step; rw [h]

/-- `((3 : Nat) : α) = 3`. -/
theorem natCast_three : ((3 : Nat) : K) = 3 := by
  grind

/-- `((7 : Nat) : α) = 7`. -/
theorem natCast_seven : ((7 : Nat) : K) = 7 := by
  grind

/-- `((2 : Int) : α) = 2`. -/
theorem intCast_two : ((2 : Int) : K) = 2 := by
  grind

section

variable [IntFloor K]

/-- **At a fixed `α` one more bit can hurt**: a point mass at `1/3` with `α = 1` has MSE `0` at
`B = 3` (step `1/3`) and `(1/3 - 2/7)² = 1/441` at `B = 4` (step `1/7`). -/
theorem mse_fixed_alpha_bits_up :
    mse [((1 / 3 : K), (1 : K))] 1 3 = 0 ∧ mse [((1 / 3 : K), (1 : K))] 1 4 = 1 / 441 := by
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  have s3 : step (1 : K) 3 = 1 / 3 := by
    rw [step_of_levels_eq (1 : K) (show levels 3 = 3 by decide), natCast_three]
  have s4 : step (1 : K) 4 = 1 / 7 := by
    rw [step_of_levels_eq (1 : K) (show levels 4 = 7 by decide), natCast_seven]
  have hcl : clip (1 : K) (1 / 3) = 1 / 3 := clip_of_in_range (by grind) (by grind)
  have r3 : roundS ((1 / 3 : K) / (1 / 3)) = 1 := roundS_eq_one (by grind) (by grind)
  have r4 : roundS ((1 / 3 : K) / (1 / 7)) = 2 := roundS_eq (by rw [intCast_two]; grind)
    (by rw [intCast_two]; grind)
  constructor
  · simp only [mse, expect]
    unfold quantize
    rw [hcl, s3, r3, Lean.Grind.Ring.intCast_one]
    grind
  · simp only [mse, expect]
    unfold quantize
    rw [hcl, s4, r4, intCast_two]
    grind

end

end Candidates

end LaAciq
