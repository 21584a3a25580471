/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Candidates

/-!
# The layer-output objective: what the solver can rely on

A row `w` (`n` entries, `w : Nat → K` read on `i < n`) quantized at `(α, B)` has the layer-output
error `outErr n H w α B = eᵀ H e` with `e = w - Q_α(w)` and `H = (1/T) Σ_t x_t x_tᵀ`
(`qform`). Between breakpoints the codes are constant and the error is a quadratic in the step;
at a breakpoint half-up rounding picks one of the two nearest codes, and with cross terms in `H`
the value *at* the breakpoint can exceed the limit from the neighbouring piece, so the
fixed-rounding objective need not attain its infimum (the counterexample is in
`LaAciq.OutputCounterexample`).

**What holds.** With the codes frozen to a vector `k`, the error is the quadratic
`c₀ - 2s·c₁ + s²·c₂` in the step `s` (`outGridErr_eq`), with `c₂ = kᵀHk ≥ 0` for positive
semidefinite `H` (`QPiece.ofCodes`). On a closed interval such a quadratic is least at its vertex
clipped to the interval (or at an endpoint when `c₂ = 0`: `QPiece.val_cand_le`), so a finite list
of closed pieces has a least value among the pieces' candidates (`qpieces_exists_min`). With a
free choice among nearest codes the minimum over (step, codes) exists, at one of finitely many
such candidates (`outErr_tie_exists_minimizer`, in `LaAciq.OutputTies`). For diagonal `H ≥ 0`
(the importance-weighted error) the output error is the MSE of a finite law
(`outErr_diag_eq_mse`), so the fixed rounding attains its minimum, at one of `trueCandidates`
(`outErr_diag_exists_minimizer`).

## Main definitions

* `sumTo f n = Σ_{i<n} f i`, `bilin`, `qform`: `uᵀHv` and `eᵀHe` of an `n × n` matrix.
* `outErr n H w α B`: the layer-output error; `outGridErr n H w k s`: its frozen-code form.
* `QPiece`: a quadratic on a closed interval; `QPiece.cand`: its minimizer (the vertex clipped to
  the interval with `maxS_minS_cases`).
-/

@[expose] public section

namespace LaAciq

attribute [local instance] Lean.Grind.Semiring.natCast Lean.Grind.Ring.intCast

section Sums

variable {K : Type} [OrderedField K]

/-- `Σ_{i<n} f i` (Mathlib: `∑ i ∈ Finset.range n, f i`). -/
def sumTo (f : Nat → K) : Nat → K
  | 0 => 0
  | n + 1 => sumTo f n + f n

@[simp] theorem sumTo_zero (f : Nat → K) : sumTo f 0 = 0 := rfl

@[simp] theorem sumTo_succ (f : Nat → K) (n : Nat) : sumTo f (n + 1) = sumTo f n + f n := rfl

/-- Sums agree when their terms agree below `n` (Mathlib: `Finset.sum_congr`). -/
theorem sumTo_congr {f g : Nat → K} {n : Nat} (h : ∀ i, i < n → f i = g i) :
    sumTo f n = sumTo g n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    rw [sumTo_succ, sumTo_succ, ih (fun i hi => h i (by omega)), h n (by omega)]

/-- Additivity (Mathlib: `Finset.sum_add_distrib`). -/
theorem sumTo_add (f g : Nat → K) (n : Nat) :
    sumTo (fun i => f i + g i) n = sumTo f n + sumTo g n := by
  induction n with
  | zero => simp only [sumTo_zero]; grind
  | succ n ih => simp only [sumTo_succ, ih]; grind

/-- Linearity in three terms: `Σ (a·f + b·g + c·h) = a·Σf + b·Σg + c·Σh`. -/
theorem sumTo_lin3 (a b c : K) (f g h : Nat → K) (n : Nat) :
    sumTo (fun i => a * f i + b * g i + c * h i) n
      = a * sumTo f n + b * sumTo g n + c * sumTo h n := by
  induction n with
  | zero => simp only [sumTo_zero]; grind
  | succ n ih => simp only [sumTo_succ, ih]; grind

/-- A sum of non-negative terms is non-negative. -/
theorem sumTo_nonneg {f : Nat → K} {n : Nat} (h : ∀ i, i < n → 0 ≤ f i) : 0 ≤ sumTo f n := by
  induction n with
  | zero => simp only [sumTo_zero]; grind
  | succ n ih =>
    have h1 := ih (fun i hi => h i (by omega))
    have h2 := h n (by omega)
    simp only [sumTo_succ]; grind

/-- The bilinear form `uᵀ H v = Σᵢ Σⱼ uᵢ Hᵢⱼ vⱼ` of an `n × n` matrix. -/
def bilin (n : Nat) (H : Nat → Nat → K) (u v : Nat → K) : K :=
  sumTo (fun i => sumTo (fun j => u i * H i j * v j) n) n

/-- The quadratic form `eᵀ H e`. -/
def qform (n : Nat) (H : Nat → Nat → K) (e : Nat → K) : K := bilin n H e e

/-- `(w - s·k)ᵀ H (w - s·k) = wᵀHw - s·(kᵀHw + wᵀHk) + s²·kᵀHk`. -/
theorem qform_sub_smul (n : Nat) (H : Nat → Nat → K) (w k : Nat → K) (s : K) :
    qform n H (fun i => w i - s * k i)
      = qform n H w - s * (bilin n H k w + bilin n H w k) + s ^ 2 * qform n H k := by
  unfold qform bilin
  have inner : ∀ i, sumTo (fun j => (w i - s * k i) * H i j * (w j - s * k j)) n
      = 1 * sumTo (fun j => w i * H i j * w j) n
        + (-s) * sumTo (fun j => k i * H i j * w j + w i * H i j * k j) n
        + s ^ 2 * sumTo (fun j => k i * H i j * k j) n := by
    intro i
    rw [← sumTo_lin3]
    exact sumTo_congr (fun j _ => by grind)
  have outer := sumTo_lin3 (1 : K) (-s) (s ^ 2)
    (fun i => sumTo (fun j => w i * H i j * w j) n)
    (fun i => sumTo (fun j => k i * H i j * w j + w i * H i j * k j) n)
    (fun i => sumTo (fun j => k i * H i j * k j) n) n
  have split : sumTo (fun i => sumTo (fun j => k i * H i j * w j + w i * H i j * k j) n) n
      = sumTo (fun i => sumTo (fun j => k i * H i j * w j) n) n
        + sumTo (fun i => sumTo (fun j => w i * H i j * k j) n) n := by
    rw [← sumTo_add]
    exact sumTo_congr (fun i _ => sumTo_add _ _ n)
  rw [sumTo_congr (fun i _ => inner i), outer, split]
  grind

/-- The output error with the codes frozen to `k` at step `s`: `(w - s·k)ᵀ H (w - s·k)`. -/
def outGridErr (n : Nat) (H : Nat → Nat → K) (w k : Nat → K) (s : K) : K :=
  qform n H (fun i => w i - s * k i)

/-- The frozen-code error is a quadratic in the step. -/
theorem outGridErr_eq (n : Nat) (H : Nat → Nat → K) (w k : Nat → K) (s : K) :
    outGridErr n H w k s
      = qform n H w - 2 * s * ((bilin n H k w + bilin n H w k) / 2) + s ^ 2 * qform n H k := by
  unfold outGridErr
  rw [qform_sub_smul]
  grind

end Sums

section Output

variable {K : Type} [OrderedField K] [IntFloor K]

/-- **The layer-output error** of a row `w` (entries `i < n`) quantized at `(α, B)`:
`(w - Q_α(w))ᵀ H (w - Q_α(w))`, with half-up rounding (the project's quantizer). -/
noncomputable def outErr (n : Nat) (H : Nat → Nat → K) (w : Nat → K) (a : K) (B : Nat) : K :=
  qform n H (fun i => w i - quantize a B (w i))

/-- With its own codes the frozen-code error is the output error. -/
theorem outErr_eq_outGridErr (n : Nat) (H : Nat → Nat → K) (w : Nat → K) (a : K) (B : Nat) :
    outErr n H w a B = outGridErr n H w (fun i => ((code a B (w i) : Int) : K)) (step a B) := by
  rfl

end Output

/-! ### Closed pieces: a least value among finitely many candidates -/

/-- A quadratic `c₀ - 2s·c₁ + s²·c₂` on the closed interval `[lo, hi]`: one piece of a
piecewise objective with its codes frozen. -/
structure QPiece (K : Type) where
  /-- Left end. -/
  lo : K
  /-- Right end. -/
  hi : K
  /-- Constant term. -/
  c0 : K
  /-- Half the negated linear coefficient. -/
  c1 : K
  /-- Quadratic coefficient. -/
  c2 : K

section Pieces

variable {K : Type} [OrderedField K]

namespace QPiece

/-- The quadratic's value at `s`. -/
def val (p : QPiece K) (s : K) : K := p.c0 - 2 * s * p.c1 + s ^ 2 * p.c2

/-- A piece is admissible when its interval is non-empty and the quadratic is convex. -/
def Ok (p : QPiece K) : Prop := p.lo ≤ p.hi ∧ 0 ≤ p.c2

/-- **The piece's candidate**: the vertex `c₁/c₂` clipped to `[lo, hi]`; for a line (`c₂ = 0`)
the endpoint where it is least. -/
noncomputable def cand (p : QPiece K) : K :=
  if p.c2 ≤ 0 then (if 0 ≤ p.c1 then p.hi else p.lo) else maxS p.lo (minS p.hi (p.c1 / p.c2))

/-- The candidate lies in the piece. -/
theorem cand_mem {p : QPiece K} (h : p.Ok) : p.lo ≤ p.cand ∧ p.cand ≤ p.hi := by
  obtain ⟨h₁, _⟩ := h
  have := maxS_minS_cases h₁ (p.c1 / p.c2)
  unfold cand
  repeat' split
  all_goals grind

/-- **The candidate is least on the piece.** -/
theorem val_cand_le {p : QPiece K} (h : p.Ok) {s : K} (h₁ : p.lo ≤ s) (h₂ : s ≤ p.hi) :
    p.val p.cand ≤ p.val s := by
  obtain ⟨hlh, hc2⟩ := h
  unfold val
  by_cases hq' : p.c2 ≤ 0
  · have h0 : p.c2 = 0 := by grind
    have hc : p.cand = if 0 ≤ p.c1 then p.hi else p.lo := by
      unfold cand; rw [if_pos hq']
    rw [hc, h0]
    by_cases h1 : 0 ≤ p.c1
    · rw [if_pos h1]
      have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right h₂ h1
      grind
    · rw [if_neg h1]
      have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right h₁ (show 0 ≤ -p.c1 by grind)
      grind
  · have hq : 0 < p.c2 := by grind
    have hv : p.c1 / p.c2 * p.c2 = p.c1 := by grind
    have key : ∀ t : K, p.c0 - 2 * t * p.c1 + t ^ 2 * p.c2
        = (p.c0 - (p.c1 / p.c2) * p.c1) + p.c2 * (t - p.c1 / p.c2) ^ 2 := by
      intro t
      have e : p.c0 - 2 * t * p.c1 + t ^ 2 * p.c2
          = p.c0 - 2 * t * (p.c1 / p.c2 * p.c2) + t ^ 2 * p.c2 := by rw [hv]
      rw [e]
      have e2 : p.c0 - p.c1 / p.c2 * p.c1 = p.c0 - p.c1 / p.c2 * (p.c1 / p.c2 * p.c2) := by
        rw [hv]
      rw [e2]
      grind
    rw [key, key]
    have hsq : (p.cand - p.c1 / p.c2) ^ 2 ≤ (s - p.c1 / p.c2) ^ 2 := by
      have hc : p.cand = maxS p.lo (minS p.hi (p.c1 / p.c2)) := by
        unfold cand; rw [if_neg hq']
      rw [hc]
      rcases maxS_minS_cases hlh (p.c1 / p.c2) with ⟨hv', e⟩ | ⟨_, e⟩ | ⟨hv', e⟩ <;> rw [e]
      · exact sq_le_sq_of_nonneg_of_le (by grind) (by grind)
      · have := Lean.Grind.OrderedRing.sq_nonneg (a := s - p.c1 / p.c2)
        grind
      · have := sq_le_sq_of_nonneg_of_le (u := p.c1 / p.c2 - p.hi) (v := p.c1 / p.c2 - s)
          (by grind) (by grind)
        grind
    have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hsq hc2
    grind

end QPiece

/-- **A least value among finitely many closed pieces** exists at one piece's candidate: for a
non-empty list of admissible pieces, some piece `p` has `p.val p.cand ≤ q.val s` for every
piece `q` and every `s` in `q`'s interval. -/
theorem qpieces_exists_min (ps : List (QPiece K)) (hne : ps ≠ []) (hok : ∀ p ∈ ps, p.Ok) :
    ∃ p ∈ ps, ∀ q ∈ ps, ∀ s, q.lo ≤ s → s ≤ q.hi → p.val p.cand ≤ q.val s := by
  induction ps with
  | nil => exact absurd rfl hne
  | cons p t ih =>
    have hp := hok p (List.mem_cons_self ..)
    by_cases ht : t = []
    · subst ht
      refine ⟨p, List.mem_cons_self .., fun q hq s h₁ h₂ => ?_⟩
      rw [List.mem_singleton.mp hq] at h₁ h₂ ⊢
      exact QPiece.val_cand_le hp h₁ h₂
    · obtain ⟨p', hp', hmin⟩ := ih ht (fun q hq => hok q (List.mem_cons_of_mem _ hq))
      by_cases hle : p.val p.cand ≤ p'.val p'.cand
      · refine ⟨p, List.mem_cons_self .., fun q hq s h₁ h₂ => ?_⟩
        rcases List.mem_cons.mp hq with e | hq'
        · rw [e] at h₁ h₂ ⊢; exact QPiece.val_cand_le hp h₁ h₂
        · have := hmin q hq' s h₁ h₂; grind
      · refine ⟨p', List.mem_cons_of_mem _ hp', fun q hq s h₁ h₂ => ?_⟩
        rcases List.mem_cons.mp hq with e | hq'
        · rw [e] at h₁ h₂ ⊢
          have := QPiece.val_cand_le hp h₁ h₂
          grind
        · exact hmin q hq' s h₁ h₂

/-- The piece of a frozen code vector `k` on `[lo, hi]`: the output error's quadratic
`wᵀHw - 2s·(kᵀHw + wᵀHk)/2 + s²·kᵀHk`. -/
def QPiece.ofCodes (n : Nat) (H : Nat → Nat → K) (w k : Nat → K) (lo hi : K) : QPiece K :=
  ⟨lo, hi, qform n H w, (bilin n H k w + bilin n H w k) / 2, qform n H k⟩

/-- The frozen-code piece's value is the frozen-code output error. -/
theorem QPiece.ofCodes_val (n : Nat) (H : Nat → Nat → K) (w k : Nat → K) (lo hi s : K) :
    (QPiece.ofCodes n H w k lo hi).val s = outGridErr n H w k s := by
  rw [outGridErr_eq]
  rfl

/-- For positive semidefinite `H` a frozen-code piece on a non-empty interval is admissible. -/
theorem QPiece.ofCodes_ok {n : Nat} {H : Nat → Nat → K} (hH : ∀ e, 0 ≤ qform n H e)
    (w k : Nat → K) {lo hi : K} (h : lo ≤ hi) : (QPiece.ofCodes n H w k lo hi).Ok :=
  ⟨h, hH k⟩

/-- **Frozen codes on closed pieces**: for positive semidefinite `H` and a non-empty list of
(code vector, closed interval) pairs, the least frozen-code output error over all pairs and all
steps in their intervals is attained at one pair's candidate step (its vertex clipped to its
interval). -/
theorem outGridErr_pieces_exists_min {n : Nat} {H : Nat → Nat → K}
    (hH : ∀ e, 0 ≤ qform n H e) (w : Nat → K) (cs : List ((Nat → K) × K × K))
    (hne : cs ≠ []) (hI : ∀ c ∈ cs, c.2.1 ≤ c.2.2) :
    ∃ c ∈ cs, ∀ d ∈ cs, ∀ s, d.2.1 ≤ s → s ≤ d.2.2 →
      outGridErr n H w c.1 (QPiece.ofCodes n H w c.1 c.2.1 c.2.2).cand
        ≤ outGridErr n H w d.1 s := by
  let f : (Nat → K) × K × K → QPiece K := fun c => QPiece.ofCodes n H w c.1 c.2.1 c.2.2
  have hne' : cs.map f ≠ [] := by
    intro h; exact hne (List.map_eq_nil_iff.mp h)
  have hok : ∀ p ∈ cs.map f, p.Ok := by
    intro p hp
    obtain ⟨c, hc, rfl⟩ := List.mem_map.mp hp
    exact QPiece.ofCodes_ok hH w c.1 (hI c hc)
  obtain ⟨p, hp, hmin⟩ := qpieces_exists_min (cs.map f) hne' hok
  obtain ⟨c, hc, rfl⟩ := List.mem_map.mp hp
  refine ⟨c, hc, fun d hd s h₁ h₂ => ?_⟩
  have := hmin (f d) (List.mem_map.mpr ⟨d, hd, rfl⟩) s h₁ h₂
  rw [QPiece.ofCodes_val, QPiece.ofCodes_val] at this
  exact this

end Pieces

/-! ### Diagonal `H`: the importance-weighted error, attained with the fixed rounding -/

section DiagonalForms

variable {K : Type} [OrderedField K]

/-- The diagonal matrix `diag(d)`. -/
def diagM (d : Nat → K) (i j : Nat) : K := if i = j then d i else 0

/-- The atoms `(wᵢ, dᵢ)`, `i < n`, as a finite law with weights `d` (not normalized). -/
noncomputable def atoms (w d : Nat → K) : Nat → List (K × K)
  | 0 => []
  | n + 1 => atoms w d n ++ [(w n, d n)]

/-- A diagonal form is a weighted sum of squares: `eᵀ diag(d) e = Σ dᵢ eᵢ²`. -/
theorem qform_diagM (n : Nat) (d e : Nat → K) :
    qform n (diagM d) e = sumTo (fun i => d i * e i ^ 2) n := by
  unfold qform bilin
  have inner : ∀ i m, sumTo (fun j => e i * diagM d i j * e j) m
      = if i < m then d i * e i ^ 2 else 0 := by
    intro i m
    induction m with
    | zero => simp only [sumTo_zero]; rw [if_neg (show ¬i < 0 by omega)]
    | succ m ih =>
      rw [sumTo_succ, ih]
      unfold diagM
      by_cases h₁ : i < m
      · rw [if_pos h₁, if_pos (show i < m + 1 by omega), if_neg (show ¬i = m by omega)]
        grind
      · by_cases h₂ : i = m
        · subst h₂
          rw [if_neg h₁, if_pos (show i < i + 1 by omega), if_pos (rfl : i = i)]
          grind
        · rw [if_neg h₁, if_neg (show ¬i < m + 1 by omega), if_neg h₂]
          grind
  rw [sumTo_congr (fun i hi => (inner i n).trans (if_pos hi))]

/-- A weighted sum over the first `n` indices is the expectation over `atoms`. -/
theorem sumTo_eq_expect (w d : Nat → K) (f : K → K) (n : Nat) :
    sumTo (fun i => d i * f (w i)) n = expect (atoms w d n) f := by
  induction n with
  | zero => rfl
  | succ n ih =>
    rw [sumTo_succ, ih]
    show _ = expect (atoms w d n ++ [(w n, d n)]) f
    rw [expect_append]
    simp only [expect]
    grind

/-- Non-negative weights give atoms with non-negative weights. -/
theorem atoms_nonneg {d : Nat → K} (hd : ∀ i, 0 ≤ d i) (w : Nat → K) (n : Nat) :
    ∀ p ∈ atoms w d n, 0 ≤ p.2 := by
  induction n with
  | zero => intro p hp; simp [atoms] at hp
  | succ n ih =>
    intro p hp
    rcases List.mem_append.mp hp with h | h
    · exact ih p h
    · rw [List.mem_singleton.mp h]; exact hd n

end DiagonalForms

section Diagonal

variable {K : Type} [OrderedField K] [IntFloor K]

/-- **For diagonal `H` the output error is the weighted MSE** of the atoms `(wᵢ, dᵢ)`. -/
theorem outErr_diag_eq_mse (n : Nat) (d w : Nat → K) (a : K) (B : Nat) :
    outErr n (diagM d) w a B = mse (atoms w d n) a B := by
  unfold outErr mse
  rw [qform_diagM, sumTo_eq_expect w d (fun x => (x - quantize a B x) ^ 2)]

/-- **Diagonal `H ≥ 0`: the fixed rounding attains its minimum**, at one of the finitely many
`trueCandidates` of the atoms (the weights need not sum to 1). -/
theorem outErr_diag_exists_minimizer (n : Nat) {d : Nat → K} (hd : ∀ i, 0 ≤ d i) (w : Nat → K)
    {B : Nat} (hB : 2 ≤ B) :
    ∃ a ∈ trueCandidates (atoms w d n) B, 0 < a ∧
      ∀ b, 0 < b → outErr n (diagM d) w a B ≤ outErr n (diagM d) w b B := by
  obtain ⟨a, ha, hpos, hmin⟩ := mse_exists_minimizer (atoms_nonneg hd w n) hB
  refine ⟨a, ha, hpos, fun b hb => ?_⟩
  rw [outErr_diag_eq_mse, outErr_diag_eq_mse]
  exact hmin b hb

end Diagonal

end LaAciq
