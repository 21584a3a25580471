/-
Copyright (c) 2026 LA-ACIQ contributors. Released under Apache 2.0 license.
-/
module

public import LaAciq.Clip
public import LaAciq.Quantizer
public import LaAciq.Distribution

/-!
# LA-ACIQ

Root of the core-Lean library: imports every module, so compiling it checks the whole library.
-/
