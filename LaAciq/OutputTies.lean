/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.OutputError

/-!
# The layer-output objective with a free choice at ties: a minimizer among finitely many

`LaAciq.OutputError` shows that the fixed (half-up) rounding need not attain the least output
error (`claim_outErr_exists_minimizer_false`). Here the codes are free among the nearest ones:
a pair `(s, k)` is admissible when `s > 0` and every `kᵢ ∈ [-L, L]` is a nearest code of `wᵢ/s`
(`NearCodes`), which is what a stored format records. Over every ordered field, every positive
semidefinite `H`, every row and every grid `{-L, …, L}`, the frozen-code error `outGridErr`
attains its least value over all admissible pairs, at a pair of the finite list
`tieCandidates` (`outErr_tie_exists_minimizer`). With `L = levels B` this is the project's
quantizer grid; no bound on `B` is needed.

**Proof.** The breakpoints are the numbers `2wᵢ/m`, `i < n`, `m ∈ [-2L, 2L]` (`breakpoints`):
for codes `k`, `j` the sign of `(w - s·k)² - (w - s·j)²` at `s > 0` can change only at
`s = 2w/(k + j)` (`root_between`). So a nearest code vector at `s'` stays nearest on the closed
piece `[lo, hi]` from the largest positive breakpoint `≤ s'` (or `0`) to the least one `≥ s'`
(`NearCodes.of_piece`), and on that piece the frozen-code error is a convex quadratic, least
at its clipped vertex (`QPiece.val_cand_le`). If that vertex is `0`, the value there is `wᵀHw`,
which the zero codes reach at the step `farStep` beyond every breakpoint; if no breakpoint is
`≥ s'`, every code is `0` (`NearCodes.eq_zero_of_beyond`) and the error is `wᵀHw` again. The
candidates (every code vector in `[-L, L]ⁿ` with every pair of breakpoints, plus the far step)
are finitely many, so the least of the admissible ones is the minimum (`exists_least_of_mem`).

## Main definitions

* `NearCodes n L w s k`: `k` is a nearest code vector of `w` at step `s` on `{-L, …, L}`.
* `breakpoints n L w`, `codeVectors L n`, `farStep n w`, `tieCandidates n L H w`.

## Main results

* `outErr_tie_exists_minimizer`: the minimum exists and lies in `tieCandidates`.
-/

@[expose] public section

namespace LaAciq

attribute [local instance] Lean.Grind.Semiring.natCast Lean.Grind.Ring.intCast

section Lists

variable {K : Type} [OrderedField K]

/-- **A least element among those satisfying `P`** (for `v`) in a list where one satisfies `P`:
`exists_min_of_list` (Mathlib: `Finset.exists_min_image` on the filtered list). -/
theorem exists_least_of_mem {α : Type} (v : α → K) (P : α → Prop) :
    ∀ l : List α, (∃ x ∈ l, P x) → ∃ m ∈ l, P m ∧ ∀ x ∈ l, P x → v m ≤ v x :=
  fun l h => exists_min_of_list v P l h

/-- The largest positive member `≤ s'` of a list, or `0` when there is none. -/
theorem exists_lower_bound (l : List K) {s' : K} (hs' : 0 ≤ s') :
    ∃ lo ∈ (0 : K) :: l, 0 ≤ lo ∧ lo ≤ s' ∧ ∀ b ∈ l, 0 < b → b ≤ s' → b ≤ lo := by
  by_cases h : ∃ b ∈ l, 0 < b ∧ b ≤ s'
  · obtain ⟨lo, hlo, ⟨h₁, h₂⟩, hmax⟩ :=
      exists_least_of_mem (fun x => -x) (fun b => 0 < b ∧ b ≤ s') l h
    refine ⟨lo, List.mem_cons_of_mem _ hlo, by grind, h₂, fun b hb hb₁ hb₂ => ?_⟩
    have := hmax b hb ⟨hb₁, hb₂⟩
    grind
  · refine ⟨0, List.mem_cons_self .., by grind, ?_, fun b hb hb₁ hb₂ => absurd ⟨b, hb, hb₁, hb₂⟩ h⟩
    grind

/-- The integers `-L, …, L` (Mathlib: `Finset.Icc (-L) L`). -/
noncomputable def intRange (L : Nat) : List Int :=
  (List.range (2 * L + 1)).map (fun t : Nat => (t : Int) - (L : Int))

theorem mem_intRange {L : Nat} {j : Int} (h₁ : -(L : Int) ≤ j) (h₂ : j ≤ L) :
    j ∈ intRange L := by
  unfold intRange
  refine List.mem_map.mpr ⟨(j + L).toNat, List.mem_range.mpr ?_, ?_⟩
  · omega
  · show (((j + L).toNat : Nat) : Int) - (L : Int) = j
    omega

/-- Every code vector with entries in `[-L, L]` below `n` and `0` from `n` on. -/
noncomputable def codeVectors (L : Nat) : Nat → List (Nat → Int)
  | 0 => [fun _ => 0]
  | n + 1 => (codeVectors L n).flatMap
      (fun k => (intRange L).map (fun c => fun i => if i = n then c else k i))

theorem mem_codeVectors {L : Nat} : ∀ {n : Nat} {k : Nat → Int},
    (∀ i, i < n → -(L : Int) ≤ k i ∧ k i ≤ L) → (∀ i, n ≤ i → k i = 0) → k ∈ codeVectors L n
  | 0, k, _, h0 => by
    have e : k = fun _ => 0 := funext fun i => h0 i (Nat.zero_le i)
    rw [e]
    exact List.mem_singleton.mpr rfl
  | n + 1, k, hr, h0 => by
    have hk : (fun i => if i = n then 0 else k i) ∈ codeVectors L n := by
      apply mem_codeVectors
      · intro i hi
        rw [if_neg (by omega)]
        exact hr i (by omega)
      · intro i hi
        by_cases e : i = n
        · rw [if_pos e]
        · rw [if_neg e]
          exact h0 i (by omega)
    show k ∈ (codeVectors L n).flatMap
      (fun k => (intRange L).map (fun c => fun i => if i = n then c else k i))
    refine List.mem_flatMap.mpr ⟨_, hk, List.mem_map.mpr
      ⟨k n, mem_intRange (hr n (by omega)).1 (hr n (by omega)).2, funext fun i => ?_⟩⟩
    show (if i = n then k n else (if i = n then 0 else k i)) = k i
    by_cases e : i = n
    · rw [if_pos e, e]
    · rw [if_neg e, if_neg e]

/-- A term of a sum of non-negative terms is at most the sum. -/
theorem le_sumTo {f : Nat → K} (hf : ∀ i, 0 ≤ f i) : ∀ {n i : Nat}, i < n → f i ≤ sumTo f n
  | 0, i, h => absurd h (Nat.not_lt_zero i)
  | n + 1, i, h => by
    rw [sumTo_succ]
    have h0 := sumTo_nonneg (f := f) (n := n) (fun j _ => hf j)
    by_cases e : i = n
    · rw [e]; grind
    · have := le_sumTo hf (n := n) (i := i) (by omega)
      grind

end Lists

/-! ### Signs of products, and where a nearest code can stop being nearest -/

section Scalar

variable {K : Type} [OrderedField K]

/-- A non-zero integer is `≥ 1` or `≤ -1` in the field. -/
theorem intCast_one_le_or_le_neg_one {m : Int} (h : m ≠ 0) :
    (1 : K) ≤ (m : K) ∨ (m : K) ≤ -1 := by
  by_cases hm : 1 ≤ m
  · left
    have := intCast_le_intCast_of_le (K := K) hm
    grind
  · right
    have := intCast_le_intCast_of_le (K := K) (show m ≤ -1 by omega)
    grind

/-- **Where a nearest code stops being nearest, a breakpoint lies between.** If `a` is at least as
near as `b` to `w/s'` but strictly farther at `s` (codes as field elements, steps `> 0`), then
`r = 2w/(a + b)` lies in `[s', s)` or in `(s, s']`: the difference of the squared errors is
`t·(a - b)·(a + b)·(t - r)`. -/
theorem root_between {w s s' a b : K} (hs : 0 < s) (hs' : 0 < s')
    (h' : (w - s' * a) ^ 2 ≤ (w - s' * b) ^ 2) (h : (w - s * b) ^ 2 < (w - s * a) ^ 2) :
    (s' ≤ 2 * w / (a + b) ∧ 2 * w / (a + b) < s)
      ∨ (s < 2 * w / (a + b) ∧ 2 * w / (a + b) ≤ s') := by
  have e : ∀ t : K, (w - t * a) ^ 2 - (w - t * b) ^ 2
      = t * ((a - b) * (a + b) * t - 2 * w * (a - b)) := by
    intro t; grind
  have g' : (a - b) * (a + b) * s' - 2 * w * (a - b) ≤ 0 :=
    nonpos_of_nonpos_mul hs' (by have := e s'; grind)
  have g : 0 < (a - b) * (a + b) * s - 2 * w * (a - b) :=
    pos_of_pos_mul hs (by have := e s; grind)
  generalize hA : (a - b) * (a + b) = A at g g'
  have hm : a + b ≠ 0 := by
    intro hm
    rw [hm] at hA
    have hA0 : A = 0 := by rw [← hA]; grind
    rw [hA0] at g g'
    grind
  generalize hr : 2 * w / (a + b) = r
  have hrm : r * (a + b) = 2 * w := by rw [← hr]; grind
  have ef : ∀ t : K, A * t - 2 * w * (a - b) = A * (t - r) := by
    intro t
    have e1 : A * (t - r) = A * t - (a - b) * (r * (a + b)) := by rw [← hA]; grind
    rw [e1, hrm]
    grind
  rw [ef] at g g'
  by_cases hpos : 0 < A
  · left
    have h1 := pos_of_pos_mul hpos g
    have h2 := nonpos_of_nonpos_mul hpos g'
    constructor <;> grind
  · right
    have hneg : 0 < -A := by
      by_cases hz : A = 0
      · rw [hz] at g; grind
      · grind
    have h1 := pos_of_pos_mul hneg (show 0 < -A * (r - s) by grind)
    have h2 := nonpos_of_nonpos_mul hneg (show -A * (r - s') ≤ 0 by grind)
    constructor <;> grind

/-- A nearest code stays nearest on a closed piece `[lo, hi]` around `s'` that holds no root
`2w/(a + b)` other than at its ends. -/
theorem near_on_piece {w s s' lo hi a b : K} (hs : 0 < s) (hs' : 0 < s')
    (h₁ : lo ≤ s) (h₂ : s ≤ hi)
    (hlo : 0 < 2 * w / (a + b) → 2 * w / (a + b) ≤ s' → 2 * w / (a + b) ≤ lo)
    (hhi : s' ≤ 2 * w / (a + b) → hi ≤ 2 * w / (a + b))
    (h' : (w - s' * a) ^ 2 ≤ (w - s' * b) ^ 2) : (w - s * a) ^ 2 ≤ (w - s * b) ^ 2 := by
  by_cases h : (w - s * a) ^ 2 ≤ (w - s * b) ^ 2
  · exact h
  · rcases root_between hs hs' h' (by grind) with ⟨r₁, r₂⟩ | ⟨r₁, r₂⟩
    · have := hhi r₁
      grind
    · have := hlo (by grind) r₂
      grind

/-- A code `c ≥ 1` is no nearer than `0` to `w/S` once `S > 2|w|`. -/
theorem sq_le_sq_sub_of_one_le {w S c : K} (hS : 2 * absS w < S) (hc : 1 ≤ c) :
    w ^ 2 ≤ (w - S * c) ^ 2 := by
  have hw₁ := le_absS_self w
  have hS0 : 0 ≤ S := by have := absS_nonneg w; grind
  have hSc := mul_nonneg_of_nonneg hS0 (show 0 ≤ c - 1 by grind)
  have := mul_nonneg_of_nonneg (show 0 ≤ S * c by grind) (show 0 ≤ S * c - 2 * w by grind)
  have e : (w - S * c) ^ 2 = w ^ 2 + (S * c) * (S * c - 2 * w) := by grind
  grind

/-- Beyond `2|w|`, `0` is a nearest code of `w/S` among all integers. -/
theorem sq_sub_zero_le_of_two_abs_lt {w S : K} (hS : 2 * absS w < S) (j : Int) :
    (w - S * ((0 : Int) : K)) ^ 2 ≤ (w - S * (j : K)) ^ 2 := by
  by_cases hj : j = 0
  · subst hj
    grind
  · rcases intCast_one_le_or_le_neg_one (K := K) hj with h | h
    · have := sq_le_sq_sub_of_one_le hS h
      grind
    · have := sq_le_sq_sub_of_one_le (w := -w) (c := -(j : K)) (by rw [absS_neg]; exact hS)
        (by grind)
      grind

/-- If a non-zero code `a` is at least as near as `0` to `w/s`, then `s ≤ 2w/a`. -/
theorem le_two_mul_div_of_near {w s a : K} (hs : 0 < s) (ha : 1 ≤ a ∨ a ≤ -1)
    (h : (w - s * a) ^ 2 ≤ (w - s * 0) ^ 2) : s ≤ 2 * w / a := by
  have haa := mul_self_pos_of ha
  have g : s * a * a - 2 * w * a ≤ 0 :=
    nonpos_of_nonpos_mul hs (by
      have e : (w - s * a) ^ 2 - (w - s * 0) ^ 2 = s * (s * a * a - 2 * w * a) := by grind
      grind)
  have hne : a ≠ 0 := by intro h0; rw [h0] at haa; grind
  generalize hr : 2 * w / a = r
  have hra : r * a = 2 * w := by rw [← hr]; grind
  have e : s * a * a - 2 * w * a = (a * a) * (s - r) := by
    have e1 : (a * a) * (s - r) = s * a * a - (r * a) * a := by grind
    rw [e1, hra]
  rw [e] at g
  have := nonpos_of_nonpos_mul haa g
  grind

end Scalar

/-! ### Nearest code vectors, breakpoints and the candidate list -/

section Codes

variable {K : Type} [OrderedField K]

/-- **`k` is a nearest code vector** of the row `w` (entries `i < n`) at the step `s` on the
grid `{-L, …, L}`: every `kᵢ` is in range and `|wᵢ - s·kᵢ| ≤ |wᵢ - s·j|` for every `j` in
range. Ties leave the choice free. -/
def NearCodes (n L : Nat) (w : Nat → K) (s : K) (k : Nat → Int) : Prop :=
  ∀ i, i < n → -(L : Int) ≤ k i ∧ k i ≤ (L : Int) ∧
    ∀ j : Int, -(L : Int) ≤ j → j ≤ (L : Int) → (w i - s * (k i : K)) ^ 2 ≤ (w i - s * (j : K)) ^ 2

/-- Nearest codes depend only on the entries `i < n`. -/
theorem NearCodes.congr {n L : Nat} {w : Nat → K} {s : K} {k k' : Nat → Int}
    (h : NearCodes n L w s k) (e : ∀ i, i < n → k i = k' i) : NearCodes n L w s k' :=
  fun i hi => by rw [← e i hi]; exact h i hi

/-- **The breakpoints** `2wᵢ/m`, `i < n`, `m ∈ [-2L, 2L]`: every step where a code of the row can
stop being nearest (`root_between`); some are `≤ 0` and play no part. -/
noncomputable def breakpoints (n L : Nat) (w : Nat → K) : List K :=
  (List.range n).flatMap (fun i => (intRange (2 * L)).map (fun m : Int => 2 * w i / (m : K)))

theorem mem_breakpoints {n L : Nat} (w : Nat → K) {i : Nat} (hi : i < n) {m : Int}
    (h₁ : -(2 * L : Int) ≤ m) (h₂ : m ≤ 2 * L) : 2 * w i / (m : K) ∈ breakpoints n L w :=
  List.mem_flatMap.mpr ⟨i, List.mem_range.mpr hi,
    List.mem_map.mpr ⟨m, mem_intRange (by omega) (by omega), rfl⟩⟩

/-- **Nearest codes stay nearest on a piece**: codes nearest at `s' > 0` are nearest at every
`s > 0` in `[lo, hi]` when no positive breakpoint lies in `(lo, s']` and none in `[s', hi)`. -/
theorem NearCodes.of_piece {n L : Nat} {w : Nat → K} {s s' lo hi : K} {k : Nat → Int}
    (hk : NearCodes n L w s' k) (hs : 0 < s) (hs' : 0 < s') (h₁ : lo ≤ s) (h₂ : s ≤ hi)
    (hlo : ∀ b ∈ breakpoints n L w, 0 < b → b ≤ s' → b ≤ lo)
    (hhi : ∀ b ∈ breakpoints n L w, s' ≤ b → hi ≤ b) : NearCodes n L w s k := by
  intro i hi'
  obtain ⟨r₁, r₂, hn⟩ := hk i hi'
  refine ⟨r₁, r₂, fun j hj₁ hj₂ => ?_⟩
  have hb := mem_breakpoints (K := K) (L := L) w hi' (m := k i + j) (by omega) (by omega)
  have e : ((k i + j : Int) : K) = (k i : K) + (j : K) := by grind
  rw [e] at hb
  exact near_on_piece hs hs' h₁ h₂ (hlo _ hb) (hhi _ hb) (hn j hj₁ hj₂)

/-- **Beyond every breakpoint every nearest code is `0`.** -/
theorem NearCodes.eq_zero_of_beyond {n L : Nat} {w : Nat → K} {s : K} {k : Nat → Int}
    (hk : NearCodes n L w s k) (hs : 0 < s) (hb : ∀ b ∈ breakpoints n L w, b < s) :
    ∀ i, i < n → k i = 0 := by
  intro i hi
  obtain ⟨h₁, h₂, hn⟩ := hk i hi
  by_cases hz : k i = 0
  · exact hz
  · have h0 := hn 0 (by omega) (by omega)
    have hle := le_two_mul_div_of_near (w := w i) hs (intCast_one_le_or_le_neg_one hz)
      (by grind)
    have hlt := hb _ (mem_breakpoints (K := K) (L := L) w hi (m := k i) (by omega) (by omega))
    grind

/-- The step `1 + 2·Σ|wᵢ|`, beyond `2|wᵢ|` for every `i < n`. -/
noncomputable def farStep (n : Nat) (w : Nat → K) : K := 1 + 2 * sumTo (fun i => absS (w i)) n

theorem two_mul_absS_lt_farStep {n : Nat} (w : Nat → K) {i : Nat} (hi : i < n) :
    2 * absS (w i) < farStep n w := by
  have := le_sumTo (f := fun i => absS (w i)) (fun i => absS_nonneg (w i)) hi
  unfold farStep
  grind

theorem farStep_pos (n : Nat) (w : Nat → K) : 0 < farStep n w := by
  have := sumTo_nonneg (f := fun i => absS (w i)) (n := n) (fun i _ => absS_nonneg (w i))
  unfold farStep
  grind

/-- At the far step the zero codes are nearest. -/
theorem nearCodes_zero_farStep (n L : Nat) (w : Nat → K) :
    NearCodes n L w (farStep n w) (fun _ => 0) := fun i hi =>
  ⟨by show -(L : Int) ≤ 0; omega, by show (0 : Int) ≤ L; omega, fun j _ _ =>
    sq_sub_zero_le_of_two_abs_lt (two_mul_absS_lt_farStep w hi) j⟩

/-- The frozen-code error depends only on the codes `i < n`. -/
theorem outGridErr_congr {n : Nat} {H : Nat → Nat → K} {w k k' : Nat → K} (s : K)
    (e : ∀ i, i < n → k i = k' i) : outGridErr n H w k s = outGridErr n H w k' s := by
  unfold outGridErr qform bilin
  refine sumTo_congr (fun i hi => sumTo_congr (fun j hj => ?_))
  show (w i - s * k i) * H i j * (w j - s * k j) = (w i - s * k' i) * H i j * (w j - s * k' j)
  rw [e i hi, e j hj]

/-- With the zero codes the frozen-code error is `wᵀHw`. -/
theorem outGridErr_zero_codes (n : Nat) (H : Nat → Nat → K) (w : Nat → K) (s : K) :
    outGridErr n H w (fun _ => ((0 : Int) : K)) s = qform n H w := by
  unfold outGridErr
  congr 1
  funext i
  grind

/-- At the step `0` the frozen-code error is `wᵀHw`. -/
theorem outGridErr_zero_step (n : Nat) (H : Nat → Nat → K) (w k : Nat → K) :
    outGridErr n H w k 0 = qform n H w := by
  rw [outGridErr_eq]
  grind

/-- The codes `kᵢ` for `i < n` and `0` beyond. -/
def truncCodes (n : Nat) (k : Nat → Int) (i : Nat) : Int := if i < n then k i else 0

/-- **The candidate list**: the far step with the zero codes, and for every code vector of
`[-L, L]ⁿ` and every pair of breakpoints (the lower one possibly `0`), the clipped vertex of the
frozen-code quadratic on that closed piece. -/
noncomputable def tieCandidates (n L : Nat) (H : Nat → Nat → K) (w : Nat → K) :
    List (K × (Nat → Int)) :=
  (farStep n w, fun _ => 0) :: (codeVectors L n).flatMap (fun k =>
    ((0 : K) :: breakpoints n L w).flatMap (fun lo => (breakpoints n L w).map (fun hi =>
      ((QPiece.ofCodes n H w (fun i => (k i : K)) lo hi).cand, k))))

/-- **Every admissible pair is matched or beaten by an admissible candidate.** -/
theorem tieCandidates_dominate {n L : Nat} {H : Nat → Nat → K} (hH : ∀ e, 0 ≤ qform n H e)
    (w : Nat → K) {s' : K} {k' : Nat → Int} (hs' : 0 < s') (hk' : NearCodes n L w s' k') :
    ∃ p ∈ tieCandidates n L H w, 0 < p.1 ∧ NearCodes n L w p.1 p.2 ∧
      outGridErr n H w (fun i => (p.2 i : K)) p.1 ≤ outGridErr n H w (fun i => (k' i : K)) s' := by
  have hkk : ∀ i, i < n → truncCodes n k' i = k' i := fun i hi => if_pos hi
  have hk : NearCodes n L w s' (truncCodes n k') := hk'.congr (fun i hi => (hkk i hi).symm)
  rw [← outGridErr_congr (k := fun i => (truncCodes n k' i : K)) s'
    (fun i hi => by show ((truncCodes n k' i : Int) : K) = _; rw [hkk i hi])]
  have hmem : truncCodes n k' ∈ codeVectors L n :=
    mem_codeVectors (fun i hi => by rw [hkk i hi]; exact ⟨(hk' i hi).1, (hk' i hi).2.1⟩)
      (fun i hi => if_neg (by omega))
  have hfar : (farStep n w, fun _ => (0 : Int)) ∈ tieCandidates n L H w := List.mem_cons_self ..
  have vfar : outGridErr n H w (fun _ => ((0 : Int) : K)) (farStep n w) = qform n H w :=
    outGridErr_zero_codes n H w _
  by_cases hC : ∃ b ∈ breakpoints n L w, s' ≤ b
  · obtain ⟨hi, hhi, hs'hi, hmin⟩ := exists_least_of_mem (fun x => x) (fun b => s' ≤ b) _ hC
    obtain ⟨lo, hlo, hlo0, hlos', hmax⟩ :=
      exists_lower_bound (breakpoints n L w) (Std.le_of_lt hs')
    have hok := QPiece.ofCodes_ok hH w (fun i => (truncCodes n k' i : K))
      (Std.le_trans hlos' hs'hi)
    have hc := QPiece.cand_mem hok
    have hle := QPiece.val_cand_le hok hlos' hs'hi
    rw [QPiece.ofCodes_val, QPiece.ofCodes_val] at hle
    by_cases hpos : 0 < (QPiece.ofCodes n H w (fun i => (truncCodes n k' i : K)) lo hi).cand
    · refine ⟨(_, truncCodes n k'), List.mem_cons_of_mem _ (List.mem_flatMap.mpr
        ⟨_, hmem, List.mem_flatMap.mpr ⟨lo, hlo, List.mem_map.mpr ⟨hi, hhi, rfl⟩⟩⟩),
        hpos, hk.of_piece hpos hs' hc.1 hc.2 hmax (fun b hb h => hmin b hb h), hle⟩
    · have hcl : lo ≤ (QPiece.ofCodes n H w (fun i => (truncCodes n k' i : K)) lo hi).cand :=
        hc.1
      have h0 : (QPiece.ofCodes n H w (fun i => (truncCodes n k' i : K)) lo hi).cand = 0 := by
        grind
      rw [h0, outGridErr_zero_step] at hle
      refine ⟨_, hfar, farStep_pos n w, nearCodes_zero_farStep n L w, ?_⟩
      show outGridErr n H w (fun _ => ((0 : Int) : K)) (farStep n w) ≤ _
      rw [vfar]
      exact hle
  · have hz := hk.eq_zero_of_beyond hs' (fun b hb => by
      by_cases h : s' ≤ b
      · exact absurd ⟨b, hb, h⟩ hC
      · grind)
    refine ⟨_, hfar, farStep_pos n w, nearCodes_zero_farStep n L w, ?_⟩
    show outGridErr n H w (fun _ => ((0 : Int) : K)) (farStep n w) ≤ _
    rw [outGridErr_congr (k' := fun _ => ((0 : Int) : K)) s' (fun i hi => by rw [hz i hi]),
      vfar, outGridErr_zero_codes]
    exact Std.le_refl _

/-- **The layer-output error with a free choice among nearest codes attains its minimum**, at a
pair of the finite list `tieCandidates`: for every positive semidefinite `H`, every row `w` and
every grid `{-L, …, L}` (`L = levels B` for the project's quantizer), some step `s > 0` with
nearest codes `k` has `outGridErr` at most that of every step `s' > 0` with any nearest codes
`k'`. (With the fixed half-up rounding the minimum can fail to exist:
`claim_outErr_exists_minimizer_false`.) -/
theorem outErr_tie_exists_minimizer {n L : Nat} {H : Nat → Nat → K}
    (hH : ∀ e, 0 ≤ qform n H e) (w : Nat → K) :
    ∃ p ∈ tieCandidates n L H w, 0 < p.1 ∧ NearCodes n L w p.1 p.2 ∧
      ∀ (s' : K) (k' : Nat → Int), 0 < s' → NearCodes n L w s' k' →
        outGridErr n H w (fun i => (p.2 i : K)) p.1
          ≤ outGridErr n H w (fun i => (k' i : K)) s' := by
  obtain ⟨m, hm, ⟨hm₁, hm₂⟩, hmin⟩ := exists_least_of_mem
    (fun p => outGridErr n H w (fun i => (p.2 i : K)) p.1)
    (fun p => 0 < p.1 ∧ NearCodes n L w p.1 p.2) (tieCandidates n L H w)
    ⟨_, List.mem_cons_self .., farStep_pos n w, nearCodes_zero_farStep n L w⟩
  refine ⟨m, hm, hm₁, hm₂, fun s' k' hs' hk' => ?_⟩
  obtain ⟨p, hp, hp₁, hp₂, hle⟩ := tieCandidates_dominate hH w hs' hk'
  exact Std.le_trans (hmin p hp ⟨hp₁, hp₂⟩) hle

end Codes

end LaAciq
