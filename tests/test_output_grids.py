"""The checks of LaAciq/OutputError.lean, LaAciq/OutputCounterexample.lean, LaAciq/AsymGrid.lean
and Clip's scalar API pass, and
their independent exact computations agree with hand-worked values."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from laaciq.theory import quantizer
from laaciq.verify import checks
from laaciq.verify.checks import grids, output

IDS = ["ref.output.no_minimizer", "exh.output.example", "prop.output.forms", "prop.output.pieces",
       "prop.output.frozen_pieces", "exh.output.diag_minimizer", "prop.grid.nearest",
       "prop.grid.candidates", "exh.grid.formats", "prop.scalar.api", "exh.output.tie_minimizer",
       "prop.output.tie_lemmas"]


@pytest.mark.parametrize("cid", IDS)
def test_new_checks_pass(cid):
    (rec,) = checks.run_checks([cid], checks.Budget.for_run(True))
    assert rec["result"] in ("pass", "refutation-verified"), rec["detail"]


def test_counterexample_by_hand():
    # w = (7/10, -17/10), H = [[1, 3/5], [3/5, 1]], B = 2: at α = 3/2 the codes are (0, -1), so
    # e = (7/10, -1/5) and eᵀHe = 49/100 - 42/250 + 1/25 = 181/500 (worked by hand).
    H, w = output.EX_H, output.EX_W
    assert output.out_err(H, w, F(3, 2), 2) == F(181, 500)
    assert output.out_err(H, w, F(7, 5), 2) == F(104, 125)
    inf, where, attained = output.out_inf(H, w, 2)
    assert (inf, where, attained) == (F(41, 125), F(7, 5), False)
    assert output.out_inf(H, output.EX_WM, 2) == (F(41, 125), F(7, 5), True)


def test_grid_quantizer_by_hand():
    # int8 at step -1/4: x = 10 → x/s = -40 → code -40 → Q = 10; x = 40 → code -160 → clamp -128
    assert grids.grid_q(128, 127, F(-1, 4), F(10)) == 10
    assert grids.grid_q(128, 127, F(-1, 4), F(40)) == 32
    assert grids.grid_q(8, 7, F(1), F(-17, 2)) == -8      # Q4_0: -8.5 rounds up to -8
    assert grids.grid_q(8, 7, F(1), F(15, 2)) == 7        # 7.5 rounds up to 8, clamped to 7
    assert quantizer.quantize_exact(F(1, 2), F(1), 2) == grids.grid_q(1, 1, F(1), F(1, 2)) == 1


def test_tie_minimizer_by_hand():
    grid = [F(t, 8) for t in range(1, 33)]
    # w = (7/10, -17/10), H = [[1, 3/5], [3/5, 1]], B = 2: the tie codes (0, -1) at α = 7/5 give
    # e = (7/10, -3/10), eᵀHe = 49/100 - 126/500 + 9/100 = 41/125 (worked by hand).
    ok, rec = output.tie_check(output.EX_H, output.EX_W, 1, grid)
    assert ok and (rec["best"], rec["step"], rec["codes"]) == (F(41, 125), F(7, 5), (0, -1))
    # one entry w = 3, H = [[1]], L = 1: error (3 - s·k)², zero at s = 3 with k = 1
    ok, rec = output.tie_check([[F(1)]], (F(3),), 1, grid)
    assert ok and rec["best"] == 0 and rec["step"] == 3
