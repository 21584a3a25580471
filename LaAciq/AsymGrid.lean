/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Candidates

/-!
# Asymmetric integer grids `[-M, N]`: nearest points, candidates, more codes

llama.cpp's block formats store integer codes on grids that are not symmetric: Q4_0 `-8…7`,
Q5_0 `-16…15`, Q8_0 `int8 = -128…127`; the scale `d` (the step) may have either sign. With
`M, N : Nat` and a step `s ≠ 0` of either sign, the grid quantizer is
`gridQ M N s x = s · clamp_{[-M, N]}(round(x / s))` (half-up rounding, then the code clamped).

## Main results

* `sq_sub_gridQ_le`: **`gridQ` is a nearest grid point**: `(x - gridQ x)² ≤ (x - s·j)²` for
  every `j ∈ [-M, N]`, for either sign of `s` (`sq_sub_gridQ_int8_le`: the int8 grid).
* `quantize_eq_gridQ`, `mse_eq_gridMse`: the symmetric quantizer is the case `M = N = L` with
  `s = α/L`.
* `gridMse_le_candidate`, `gridMse_exists_minimizer`: **the candidate-set theorem** for the
  weighted error `E[(X - gridQ X)²]` (weights `≥ 0`, not necessarily summing to 1) over all
  steps `s ≠ 0`: a minimizer exists in the finite list `gridCandidates` (`1` and the vertex
  `E[Xk]/E[k²]` of every code vector `k ∈ [-M, N]^n` on the atoms).
* `gridMse_mono_grid`, `fmtMse_bit_up`, `fmt_optimal_antitone_bits`: more codes never hurt at the
  same step: for the formats' grids `[-2^(B-1), 2^(B-1) - 1]` one more bit keeps the old grid, so
  the error at `B + 1` bits is at most that at `B` (the analogue of `mse_bit_up`, with no
  rescaling of the step) and the optimal error does not increase with `B`.
* `fmt_card`: the `B`-bit format grid has `2^B` codes (`int8`: 256, Q4_0: 16, Q5_0: 32).

The frozen-code algebra (`gridErr`, `codeDot`, `codeSq`, `gridErr_eq`, `gridErr_vertex_le`,
`codeDot_eq_zero_of_codeSq`) is `LaAciq.Candidates`', reused as is; `codeRangeMN`/`codeSumsMN`
are `codeRange`/`codeSums` for an asymmetric code range (the pair remains: the symmetric lists
index the exact solver's existing candidates).
-/

@[expose] public section

namespace LaAciq

attribute [local instance] Lean.Grind.Semiring.natCast Lean.Grind.Ring.intCast

/-- Clamp an integer to `[lo, hi]`. -/
def clampZ (lo hi k : Int) : Int := if k < lo then lo else if hi < k then hi else k

/-- The clamped integer lies in `[lo, hi]` when `lo ≤ hi`. -/
theorem clampZ_mem {lo hi : Int} (h : lo ≤ hi) (k : Int) :
    lo ≤ clampZ lo hi k ∧ clampZ lo hi k ≤ hi := by
  unfold clampZ
  split
  · omega
  · split <;> omega

/-- Clamping fixes the integers in `[lo, hi]`. -/
theorem clampZ_of_mem {lo hi k : Int} (h₁ : lo ≤ k) (h₂ : k ≤ hi) : clampZ lo hi k = k := by
  unfold clampZ
  rw [if_neg (show ¬k < lo by omega), if_neg (show ¬hi < k by omega)]

section Codes

variable {K : Type} [OrderedField K]

/-- Scaling both sides of a squared-distance comparison by `s`. -/
theorem sq_sub_mul_le_of {s y u v : K} (h : (y - u) ^ 2 ≤ (y - v) ^ 2) :
    (s * y - s * u) ^ 2 ≤ (s * y - s * v) ^ 2 := by
  have m := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h
    (Lean.Grind.OrderedRing.sq_nonneg (a := s))
  have e1 : (s * y - s * u) ^ 2 = s ^ 2 * (y - u) ^ 2 := by grind
  have e2 : (s * y - s * v) ^ 2 = s ^ 2 * (y - v) ^ 2 := by grind
  rw [e1, e2]
  exact m

/-- The all-zero codes cost `E[X²]` at every step. -/
theorem gridErr_zero (l : List (K × K)) (s : K) :
    gridErr l (fun _ => 0) s = expect l (fun x => x ^ 2) := by
  unfold gridErr
  congr 1
  funext x
  show (x - s * ((0 : Int) : K)) ^ 2 = x ^ 2
  rw [Lean.Grind.Ring.intCast_zero]
  grind

/-- The codes `-M, …, N`. -/
noncomputable def codeRangeMN (M N : Nat) : List Int :=
  (List.range (M + N + 1)).map (fun i : Nat => (i : Int) - (M : Int))

/-- Every code in `[-M, N]` is listed. -/
theorem mem_codeRangeMN {M N : Nat} {j : Int} (h₁ : -(M : Int) ≤ j) (h₂ : j ≤ (N : Int)) :
    j ∈ codeRangeMN M N :=
  List.mem_map.mpr ⟨(j + M).toNat, List.mem_range.mpr (by omega), by
    show (((j + M).toNat : Nat) : Int) - (M : Int) = j
    omega⟩

/-- The pairs `(E[Xk], E[k²])` of every code vector `k ∈ [-M, N]^n` on the atoms. -/
noncomputable def codeSumsMN (M N : Nat) : List (K × K) → List (K × K)
  | [] => [(0, 0)]
  | p :: t => (codeSumsMN M N t).flatMap (fun d => (codeRangeMN M N).map (fun j =>
      (p.2 * (p.1 * ((j : Int) : K)) + d.1, p.2 * ((j : Int) : K) ^ 2 + d.2)))

/-- Every code assignment with codes in `[-M, N]` appears in `codeSumsMN`. -/
theorem mem_codeSumsMN (M N : Nat) (k : K → Int)
    (hk : ∀ x, -(M : Int) ≤ k x ∧ k x ≤ (N : Int)) (l : List (K × K)) :
    (codeDot l k, codeSq l k) ∈ codeSumsMN M N l := by
  induction l with
  | nil => exact List.mem_singleton_self _
  | cons p t ih =>
    simp only [codeSumsMN]
    apply List.mem_flatMap.mpr
    refine ⟨_, ih, ?_⟩
    apply List.mem_map.mpr
    exact ⟨k p.1, mem_codeRangeMN (hk p.1).1 (hk p.1).2, rfl⟩

/-- **The candidate steps** on the grid `[-M, N]`: `1`, and the vertex `E[Xk]/E[k²]` of every
code vector `k ∈ [-M, N]^n` on the atoms (of either sign; zero entries are never chosen). -/
noncomputable def gridCandidates (l : List (K × K)) (M N : Nat) : List K :=
  1 :: (codeSumsMN M N l).map (fun d => d.1 / d.2)

end Codes

section Grid

variable {K : Type} [OrderedField K] [IntFloor K]

/-- The code on the grid `[-M, N]` at step `s`: `clamp(round(x / s))`. -/
noncomputable def gridCode (M N : Nat) (s x : K) : Int :=
  clampZ (-(M : Int)) (N : Int) (roundS (x / s))

/-- **The grid quantizer** `s · clamp_{[-M, N]}(round(x / s))` (either sign of `s`). -/
noncomputable def gridQ (M N : Nat) (s x : K) : K := s * ((gridCode M N s x : Int) : K)

/-- The code lies in `[-M, N]`. -/
theorem gridCode_mem (M N : Nat) (s x : K) :
    -(M : Int) ≤ gridCode M N s x ∧ gridCode M N s x ≤ (N : Int) :=
  clampZ_mem (by omega) _

/-- The clamped rounding is a nearest integer of `[-M, N]`: `(y - clamp(round y))² ≤ (y - j)²`. -/
theorem sq_sub_clampZ_roundS_le (M N : Nat) (y : K) {j : Int} (hj₁ : -(M : Int) ≤ j)
    (hj₂ : j ≤ (N : Int)) :
    (y - ((clampZ (-(M : Int)) (N : Int) (roundS y) : Int) : K)) ^ 2
      ≤ (y - ((j : Int) : K)) ^ 2 := by
  obtain ⟨r₁, r₂⟩ := roundS_sub_le y
  have e2 := Lean.Grind.Ring.intCast_one (α := K)
  unfold clampZ
  by_cases h₁ : roundS y < -(M : Int)
  · rw [if_pos h₁]
    have c := intCast_le_intCast_of_le (K := K) (show roundS y ≤ -(M : Int) - 1 by omega)
    have d := intCast_le_intCast_of_le (K := K) hj₁
    have e1 := Lean.Grind.Ring.intCast_sub (α := K) (-(M : Int)) 1
    have := sq_le_sq_of_nonneg_of_le (u := ((-(M : Int) : Int) : K) - y)
      (v := ((j : Int) : K) - y) (by grind) (by grind)
    grind
  · rw [if_neg h₁]
    by_cases h₂ : (N : Int) < roundS y
    · rw [if_pos h₂]
      have c := intCast_le_intCast_of_le (K := K) (show (N : Int) + 1 ≤ roundS y by omega)
      have d := intCast_le_intCast_of_le (K := K) hj₂
      have e1 := Lean.Grind.Ring.intCast_add (α := K) (N : Int) 1
      exact sq_le_sq_of_nonneg_of_le (by grind) (by grind)
    · rw [if_neg h₂]
      exact sq_sub_roundS_le y j

/-- **The grid quantizer is a nearest grid point**, for either sign of the step:
`(x - gridQ M N s x)² ≤ (x - s·j)²` for every `j ∈ [-M, N]`. -/
theorem sq_sub_gridQ_le (M N : Nat) {s : K} (hs : s ≠ 0) (x : K) {j : Int}
    (hj₁ : -(M : Int) ≤ j) (hj₂ : j ≤ (N : Int)) :
    (x - gridQ M N s x) ^ 2 ≤ (x - s * ((j : Int) : K)) ^ 2 := by
  have key := sq_sub_mul_le_of (s := s) (sq_sub_clampZ_roundS_le M N (x / s) hj₁ hj₂)
  have e : s * (x / s) = x := by grind
  rw [e] at key
  exact key

/-- The int8 grid `-128…127` (llama.cpp's Q8_0 codes): `gridQ` is a nearest point of it. -/
theorem sq_sub_gridQ_int8_le {s : K} (hs : s ≠ 0) (x : K) {j : Int} (hj₁ : -128 ≤ j)
    (hj₂ : j ≤ 127) : (x - gridQ 128 127 s x) ^ 2 ≤ (x - s * ((j : Int) : K)) ^ 2 :=
  sq_sub_gridQ_le 128 127 hs x hj₁ hj₂

/-- **The symmetric quantizer is the grid quantizer with `M = N = L`** at the step `α/L`. -/
theorem quantize_eq_gridQ {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) (x : K) :
    quantize a B x = gridQ (levels B) (levels B) (step a B) x := by
  have hs := step_pos ha hB
  have hsl := step_mul_levels (a := a) hB
  have hL := intCast_levels (K := K) B
  have hn := Lean.Grind.Ring.intCast_neg (α := K) (levels B : Int)
  unfold gridQ gridCode clampZ
  by_cases h₁ : a ≤ x
  · rw [quantize_of_alpha_le ha hB h₁]
    have hr : (levels B : Int) ≤ roundS (x / step a B) :=
      le_roundS_of_le (le_div_of_mul_le_of_pos hs (by grind))
    rw [if_neg (show ¬roundS (x / step a B) < -(levels B : Int) by omega)]
    by_cases h' : (levels B : Int) < roundS (x / step a B)
    · rw [if_pos h']; grind
    · rw [if_neg h', show roundS (x / step a B) = (levels B : Int) by omega]; grind
  · by_cases h₂ : x ≤ -a
    · rw [quantize_of_le_neg_alpha ha hB h₂]
      have hr : roundS (x / step a B) ≤ -(levels B : Int) :=
        roundS_le_of_le (div_le_of_le_mul_of_pos hs (by grind))
      by_cases h' : roundS (x / step a B) < -(levels B : Int)
      · rw [if_pos h']; grind
      · rw [if_neg h', if_neg (show ¬(levels B : Int) < roundS (x / step a B) by omega),
          show roundS (x / step a B) = -(levels B : Int) by omega]
        grind
    · have hr₁ : -(levels B : Int) ≤ roundS (x / step a B) :=
        le_roundS_of_le (le_div_of_mul_le_of_pos hs (by grind))
      have hr₂ : roundS (x / step a B) ≤ (levels B : Int) :=
        roundS_le_of_le (div_le_of_le_mul_of_pos hs (by grind))
      rw [if_neg (show ¬roundS (x / step a B) < -(levels B : Int) by omega),
        if_neg (show ¬(levels B : Int) < roundS (x / step a B) by omega)]
      unfold quantize
      rw [clip_of_in_range (by grind) (by grind)]

/-- The weighted error on the grid: `E[(X - gridQ X)²]` (weights need not sum to 1). -/
noncomputable def gridMse (l : List (K × K)) (M N : Nat) (s : K) : K :=
  expect l (fun x => (x - gridQ M N s x) ^ 2)

/-- The symmetric MSE is the grid error with `M = N = L` at the step `α/L`. -/
theorem mse_eq_gridMse (l : List (K × K)) {a : K} (ha : 0 < a) {B : Nat} (hB : 2 ≤ B) :
    mse l a B = gridMse l (levels B) (levels B) (step a B) :=
  expect_congr (fun p _ => by rw [quantize_eq_gridQ ha hB])

/-- With its own codes the frozen-code error is the grid error. -/
theorem gridMse_eq_gridErr (l : List (K × K)) (M N : Nat) (s : K) :
    gridMse l M N s = gridErr l (gridCode M N s) s := by
  rfl

/-- The grid error lies below every frozen-code error with codes in `[-M, N]`. -/
theorem gridMse_le_gridErr {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (M N : Nat) {s : K}
    (hs : s ≠ 0) {k : K → Int} (hk : ∀ x, -(M : Int) ≤ k x ∧ k x ≤ (N : Int)) :
    gridMse l M N s ≤ gridErr l k s :=
  expect_mono hw (fun x => sq_sub_gridQ_le M N hs x (hk x).1 (hk x).2)

/-- **Every step is beaten by a candidate**: for every step `s` some non-zero `t` in
`gridCandidates l M N` has `gridMse t ≤ gridMse s`. -/
theorem gridMse_le_candidate {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (M N : Nat) (s : K) :
    ∃ t ∈ gridCandidates l M N, t ≠ 0 ∧ gridMse l M N t ≤ gridMse l M N s := by
  have hK0 : 0 ≤ codeSq l (gridCode M N s) :=
    expect_nonneg hw (fun _ => Lean.Grind.OrderedRing.sq_nonneg)
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  by_cases hD : codeDot l (gridCode M N s) = 0
  · refine ⟨1, List.mem_cons_self .., by grind, ?_⟩
    have h1 := gridMse_le_gridErr hw M N (s := 1) (by grind) (k := fun _ => 0)
      (fun _ => ⟨by show -(M : Int) ≤ 0; omega, by show (0 : Int) ≤ (N : Int); omega⟩)
    rw [gridErr_zero] at h1
    rw [gridMse_eq_gridErr l M N s, gridErr_eq, hD]
    have := Lean.Grind.OrderedRing.mul_nonneg (Lean.Grind.OrderedRing.sq_nonneg (a := s)) hK0
    grind
  · have hK : 0 < codeSq l (gridCode M N s) := by
      by_cases h : codeSq l (gridCode M N s) = 0
      · exact absurd (codeDot_eq_zero_of_codeSq hw _ h) hD
      · grind
    have hv : codeDot l (gridCode M N s) / codeSq l (gridCode M N s) ≠ 0 := by
      intro h
      have e : codeDot l (gridCode M N s) / codeSq l (gridCode M N s)
          * codeSq l (gridCode M N s) = codeDot l (gridCode M N s) := by grind
      rw [h] at e
      grind
    refine ⟨_, List.mem_cons_of_mem _ (List.mem_map.mpr ⟨_, mem_codeSumsMN M N _
      (fun x => gridCode_mem M N s x) l, rfl⟩), hv, ?_⟩
    have h1 := gridMse_le_gridErr hw M N hv (k := gridCode M N s)
      (fun x => gridCode_mem M N s x)
    have h2 := gridErr_vertex_le l (gridCode M N s) s hK
    rw [gridMse_eq_gridErr l M N s]
    grind

/-- **Existence of the optimal step on an asymmetric grid**: for every finite list of weighted
atoms (weights `≥ 0`) a minimizer of the grid error over all steps `s ≠ 0` exists, and one lies
in the finite list `gridCandidates l M N`. -/
theorem gridMse_exists_minimizer {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (M N : Nat) :
    ∃ s ∈ gridCandidates l M N, s ≠ 0 ∧ ∀ t, t ≠ 0 → gridMse l M N s ≤ gridMse l M N t := by
  have h01 := Lean.Grind.OrderedRing.zero_lt_one (R := K)
  obtain ⟨v, hv, hPv, hmin⟩ := exists_min_of_list (fun s => gridMse l M N s) (fun s => s ≠ 0)
    (gridCandidates l M N) ⟨1, List.mem_cons_self .., by grind⟩
  refine ⟨v, hv, hPv, fun t _ => ?_⟩
  obtain ⟨c, hc, hc0, hcle⟩ := gridMse_le_candidate hw M N t
  have h : gridMse l M N v ≤ gridMse l M N c := hmin c hc hc0
  grind

/-- **More codes never hurt at the same step**: for `[-M, N] ⊆ [-M', N']`,
`(x - gridQ M' N' s x)² ≤ (x - gridQ M N s x)²`. -/
theorem sq_sub_gridQ_mono_grid {M N M' N' : Nat} (hM : M ≤ M') (hN : N ≤ N') {s : K}
    (hs : s ≠ 0) (x : K) : (x - gridQ M' N' s x) ^ 2 ≤ (x - gridQ M N s x) ^ 2 := by
  obtain ⟨h₁, h₂⟩ := gridCode_mem M N s x
  exact sq_sub_gridQ_le M' N' hs x (j := gridCode M N s x) (by omega) (by omega)

/-- The grid error does not increase when the grid grows (same step). -/
theorem gridMse_mono_grid {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) {M N M' N' : Nat}
    (hM : M ≤ M') (hN : N ≤ N') {s : K} (hs : s ≠ 0) :
    gridMse l M' N' s ≤ gridMse l M N s :=
  expect_mono hw (fun x => sq_sub_gridQ_mono_grid hM hN hs x)

/-- The negative end of the `B`-bit format grid: `2^(B-1)` (Q4_0: 8, Q5_0: 16, int8: 128). -/
def fmtM (B : Nat) : Nat := 2 ^ (B - 1)

/-- The positive end of the `B`-bit format grid: `2^(B-1) - 1` (Q4_0: 7, Q5_0: 15, int8: 127). -/
def fmtN (B : Nat) : Nat := 2 ^ (B - 1) - 1

/-- The `B`-bit format grid has `2^B` codes. -/
theorem fmt_card {B : Nat} (hB : 1 ≤ B) : fmtM B + fmtN B + 1 = 2 ^ B := by
  unfold fmtM fmtN
  have h : 2 ^ B = 2 * 2 ^ (B - 1) := by
    rw [show B = (B - 1) + 1 from by omega, Nat.pow_succ]; simp; omega
  have := Nat.two_pow_pos (B - 1)
  omega

/-- The formats' ends: Q4_0 `-8…7`, Q5_0 `-16…15`, Q8_0 (int8) `-128…127`. -/
theorem fmt_ends : fmtM 4 = 8 ∧ fmtN 4 = 7 ∧ fmtM 5 = 16 ∧ fmtN 5 = 15 ∧ fmtM 8 = 128 ∧
    fmtN 8 = 127 := by
  decide

/-- One more bit keeps the old format grid. -/
theorem fmt_le_succ (B : Nat) : fmtM B ≤ fmtM (B + 1) ∧ fmtN B ≤ fmtN (B + 1) := by
  unfold fmtM fmtN
  cases B with
  | zero => decide
  | succ n =>
    have e1 : n + 1 - 1 = n := by omega
    have e2 : n + 1 + 1 - 1 = n + 1 := by omega
    rw [e1, e2, Nat.pow_succ]
    omega

/-- **One more bit never hurts at the same step** on the format grids (the analogue of
`mse_bit_up`; no rescaling of the step is needed). -/
theorem fmtMse_bit_up {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (B : Nat) {s : K}
    (hs : s ≠ 0) : gridMse l (fmtM (B + 1)) (fmtN (B + 1)) s ≤ gridMse l (fmtM B) (fmtN B) s :=
  gridMse_mono_grid hw (fmt_le_succ B).1 (fmt_le_succ B).2 hs

/-- **The optimal format error does not increase with the bit-width**: for an optimal step `s'`
at `B + 1` bits and any step `s ≠ 0` at `B` bits. -/
theorem fmt_optimal_antitone_bits {l : List (K × K)} (hw : ∀ p ∈ l, 0 ≤ p.2) (B : Nat)
    {s s' : K} (hs : s ≠ 0)
    (hs' : ∀ t, t ≠ 0 → gridMse l (fmtM (B + 1)) (fmtN (B + 1)) s'
      ≤ gridMse l (fmtM (B + 1)) (fmtN (B + 1)) t) :
    gridMse l (fmtM (B + 1)) (fmtN (B + 1)) s' ≤ gridMse l (fmtM B) (fmtN B) s := by
  have h1 := hs' s hs
  have h2 := fmtMse_bit_up hw B hs (l := l)
  grind

end Grid

end LaAciq
