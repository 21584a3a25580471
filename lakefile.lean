import Lake
open Lake DSL

/-! Build file for the core-Lean LA-ACIQ library (no Mathlib: see README). -/

package laaciq where
  leanOptions := #[⟨`autoImplicit, false⟩, ⟨`relaxedAutoImplicit, false⟩]

@[default_target]
lean_lib LaAciq
