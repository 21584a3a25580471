/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Clip
public import LaAciq.Quantizer
public import LaAciq.Distribution
public import LaAciq.MSE
public import LaAciq.Mixture
public import LaAciq.Convexity
public import LaAciq.Optimality
public import LaAciq.Existence
public import LaAciq.Refutations
public import LaAciq.Candidates
public import LaAciq.Conjectures
public import LaAciq.RefutationsOptimal
public import LaAciq.Law
public import LaAciq.LawTheory
public import LaAciq.OutputError
public import LaAciq.OutputCounterexample
public import LaAciq.OutputTies
public import LaAciq.AsymGrid

/-!
# LA-ACIQ

Root of the core-Lean library: imports every module, so compiling it checks the whole library.

* `LaAciq.Clip` — the scalar setting and clipping.
* `LaAciq.Quantizer` — rounding, the quantizer, its grid, range, error and symmetries.
* `LaAciq.Distribution` — finite laws, expectation, moments, mixtures.
* `LaAciq.MSE` — the true MSE and its exact decomposition.
* `LaAciq.Mixture` — moments of mixtures and the defect of seed 004's kurtosis formula.
* `LaAciq.Convexity` — convexity of the clipping objectives.
* `LaAciq.Optimality` — the first-order (fixed-point) condition of the model MSE.
* `LaAciq.Existence` — the model MSE's optimal clip exists, is the fixed point, and is unique.
* `LaAciq.Refutations` — machine-checked refutations of the seeds' false statements.
* `LaAciq.Candidates` — the true MSE's optimum exists among finitely many candidates (the exact
  solver's theorem); the optimal MSE does not increase with the bit-width.
* `LaAciq.Conjectures` — open statements (`def … : Prop`), never assumed.
* `LaAciq.RefutationsOptimal` — refutations at the seeds' own optima (certified by `Candidates`).
* `LaAciq.Law` — the abstract law (expectation, integrability, closure) and finite laws as one.
* `LaAciq.LawTheory` — decomposition, convexity, first-order condition, moments and
  `n`-component mixtures for every law.
* `LaAciq.OutputError` — the layer-output error `(w - Q w)ᵀ H (w - Q w)`: the closed-piece
  candidate calculus, the diagonal case.
* `LaAciq.OutputCounterexample` — a counterexample to attainment of the layer-output error with
  half-up rounding, and the tie choice and mirrored row that attain it.
* `LaAciq.OutputTies` — with a free choice among nearest codes at ties the layer-output error
  attains its minimum, at one of finitely many candidates.
* `LaAciq.AsymGrid` — asymmetric integer grids `[-M, N]` (Q4_0, Q5_0, int8), either sign of the
  step: nearest points, the candidate-set theorem, more codes never hurt.
-/
