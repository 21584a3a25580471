"""The symbolic tier (python/laaciq/symbolic.py): every SymPy / Z3 record passes, and the
checkers really can fail (a false claim is not reported as a pass)."""

from __future__ import annotations

import time

import pytest

from laaciq.verify import symbolic

RESULTS = ("pass", "fail", "unknown", "error")


@pytest.fixture(scope="module")
def records():
    t0 = time.perf_counter()
    recs = symbolic.run_all()
    return recs, time.perf_counter() - t0


def test_every_record_passes(records):
    recs, _ = records
    bad = [(r["id"], r["result"], r["detail"]) for r in recs if r["result"] != "pass"]
    assert not bad


def test_record_shape(records):
    recs, _ = records
    ids = [r["id"] for r in recs]
    assert len(ids) == len(set(ids)), "record ids are unique"
    for r in recs:
        assert {"id", "result", "detail", "seconds"} <= set(r)
        assert r["result"] in RESULTS
        assert isinstance(r["detail"], str) and r["detail"]


def test_coverage(records):
    recs, _ = records
    ids = {r["id"] for r in recs}
    for name in ("sympy.mixture_moments_n2", "sympy.mixture_moments_n3",
                 "sympy.seed004_kurtosis_defect", "sympy.mse_pointwise_decomposition",
                 "z3.clip.clip_le_alpha", "z3.clip.clip_idempotent", "z3.clip.clip_mono_x",
                 "z3.clip.clip_lipschitz", "z3.clip.clip_neg", "z3.clip.abs_sub_clip"):
        assert name in ids
    for b in symbolic.QUANTIZER_BITS:
        for lemma in ("quantize_mem_range", "abs_sub_quantize_le", "quantize_of_alpha_le",
                      "quantize_of_le_neg_alpha"):
            assert f"z3.quantizer.B{b}.{lemma}" in ids


def test_time_budget(records):
    _, seconds = records
    assert seconds < 15


def test_z3_false_claims_fail():
    import z3

    _, _, abs_s, clip = symbolic._z3_defs()
    a, x = z3.Reals("a x")
    # clip ≤ α without 0 ≤ α is false
    assert symbolic._z3_prove(clip(a, x) <= a)[0] == "fail"
    # a half-step bound tightened to a third is false (B = 4, α = 1)
    L = 7
    k = z3.ToInt(clip(z3.RealVal(1), x) * L + z3.RealVal(1) / 2)
    q = z3.ToReal(k) / L
    assert symbolic._z3_prove(abs_s(x - q) <= z3.RealVal(1) / (3 * L), [-1 <= x, x <= 1])[0] \
        == "fail"
    # a claimed counterexample that does not exist is a fail too
    assert symbolic._z3_prove(clip(a, x) >= -a, [], expect="sat")[0] == "fail"


def test_z3_unknown_is_not_pass(monkeypatch):
    import z3

    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    a = z3.Real("a")
    result, detail = symbolic._z3_prove(a == a)
    assert result == "unknown" and "unknown" in detail


def test_exceptions_become_error_records():
    def boom():
        raise RuntimeError("kaput")

    r = symbolic.Spec("x.boom", "sympy", "raises", boom).run()
    assert r["result"] == "error" and "kaput" in r["detail"]


def test_sympy_zero_check_detects_nonzero():
    import sympy as sp

    w, s = sp.symbols("w s", positive=True)
    assert symbolic._is_zero(w * s - s * w)
    assert not symbolic._is_zero(w * s + 1 - s * w)
