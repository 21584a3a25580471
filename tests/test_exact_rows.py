"""The per-channel (rows) path of the exact true-MSE solver on float32 input, through the
public entry point: both engines against brute force, float32 rows against float64 rows."""

from __future__ import annotations

import numpy as np
import pytest
from oracles import KINDS, check_hard_rows, hard_rows

from laaciq.tensor import exact









@pytest.mark.parametrize("force", ["auto", "compiled"])
@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("kind", KINDS)
def test_rows_path_matches_brute_force(kind, bits, force):
    """Per channel on float32 rows, with either engine (the numpy engine's forced choices of
    bound are in ``test_exact_internals.py``): never worse than the best piece."""
    engine = "compiled" if force == "compiled" else "numpy"
    check_hard_rows(kind, bits, engine)


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_float32_rows_equal_float64_rows(bits, engine):
    """The float32 path (numpy engine: one search call) and the float64 path (row-by-row
    search) find the same optimum of the same numbers."""
    rng = np.random.default_rng(50 + bits)
    x = np.concatenate([hard_rows("outliers", 8, 300, rng), hard_rows("ties", 8, 300, rng)])
    r32 = exact.exact_alpha(x, bits, axis=0, engine=engine)
    r64 = exact.exact_alpha(x.astype(np.float64), bits, axis=0, engine=engine)
    np.testing.assert_allclose(r32.mse, r64.mse, rtol=1e-12, atol=1e-300)


