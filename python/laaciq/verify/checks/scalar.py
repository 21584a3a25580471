"""Checks of the scalar API in ``LaAciq/Clip.lean``: ``maxS``, ``minS``, ``absS`` by their
defining ``if`` equations, against Python's own ``max``, ``min`` and ``abs`` on exact Fractions,
and the three pieces of the clip."""

from __future__ import annotations

from hypothesis import strategies as st

from laaciq.verify.checks import hyp
from laaciq.verify.checks.properties import _first, _prop, abs_s, clip


def max_s(a, b):
    """Lean ``maxS a b = if a ≤ b then b else a``."""
    return b if a <= b else a


def min_s(a, b):
    """Lean ``minS a b = if a ≤ b then a else b``."""
    return a if a <= b else b


_r = hyp.rationals()


@_prop("prop.scalar.api", "maxS/minS/absS agree with max/min/abs; a ≤ max a b, b ≤ max a b, "
       "min ≤ both, max ≤ c ↔ both ≤ c, c ≤ min ↔ c ≤ both, monotone in the second argument, "
       "|x| ≥ 0, ±x ≤ |x|, |-x| = |x|, |x - y| = |y - x|, |x|·|x| = x·x, |x| ≤ c ↔ -c ≤ x ≤ c; "
       "clip is max(-α, min(α, x)) and is -α, x or α on its three pieces (α ≥ 0), as is "
       "max(lo, min(hi, x)) on [lo, hi]", st.tuples(_r, _r, _r),
       theorems=("maxS_def", "minS_def", "absS_def", "maxS_self", "minS_self", "maxS_cases",
                 "le_maxS_left", "le_maxS_right", "minS_le_left", "minS_le_right", "maxS_eq_left",
                 "maxS_eq_right", "minS_eq_left", "minS_eq_right", "maxS_le_iff", "le_minS_iff",
                 "maxS_mono_right", "minS_mono_right", "absS_nonneg", "le_absS_self",
                 "neg_le_absS", "absS_of_nonneg", "absS_of_nonpos", "absS_le_iff", "absS_neg",
                 "absS_sub_comm", "absS_mul_self", "clip_cases", "minS_cases",
                 "maxS_minS_cases", "clip_def"))
def _api(ex):
    a, b, c = ex
    x, y = a, b
    al = abs(c)
    cl = clip(al, x)
    lo, hi = min(a, b), max(a, b)
    v = max_s(lo, min_s(hi, c))
    return _first([
        ("maxS_def", max_s(a, b) == max(a, b)),
        ("minS_def", min_s(a, b) == min(a, b)),
        ("absS_def", abs_s(x) == abs(x) == max_s(x, -x)),
        ("maxS_self", max_s(a, a) == a),
        ("minS_self", min_s(a, a) == a),
        ("maxS_cases", (a <= b and max_s(a, b) == b) or (b <= a and max_s(a, b) == a)),
        ("minS_cases", (a <= b and min_s(a, b) == a) or (b <= a and min_s(a, b) == b)),
        ("maxS_minS_cases", (c <= lo and v == lo) or (lo <= c <= hi and v == c)
         or (hi <= c and v == hi)),
        ("clip_def", clip(c, x) == max_s(-c, min_s(c, x)) == max(-c, min(c, x))),
        ("le_maxS_left", a <= max_s(a, b)),
        ("le_maxS_right", b <= max_s(a, b)),
        ("minS_le_left", min_s(a, b) <= a),
        ("minS_le_right", min_s(a, b) <= b),
        ("maxS_eq_left", not b <= a or max_s(a, b) == a),
        ("maxS_eq_right", not a <= b or max_s(a, b) == b),
        ("minS_eq_left", not a <= b or min_s(a, b) == a),
        ("minS_eq_right", not b <= a or min_s(a, b) == b),
        ("maxS_le_iff", (max_s(a, b) <= c) == (a <= c and b <= c)),
        ("le_minS_iff", (c <= min_s(a, b)) == (c <= a and c <= b)),
        ("maxS_mono_right", max_s(c, min(a, b)) <= max_s(c, max(a, b))),
        ("minS_mono_right", min_s(c, min(a, b)) <= min_s(c, max(a, b))),
        ("absS_nonneg", abs_s(x) >= 0),
        ("le_absS_self", x <= abs_s(x)),
        ("neg_le_absS", -x <= abs_s(x)),
        ("absS_of_nonneg", x < 0 or abs_s(x) == x),
        ("absS_of_nonpos", x > 0 or abs_s(x) == -x),
        ("absS_le_iff", (abs_s(x) <= c) == (-c <= x <= c)),
        ("absS_neg", abs_s(-x) == abs_s(x)),
        ("absS_sub_comm", abs_s(x - y) == abs_s(y - x)),
        ("absS_mul_self", abs_s(x) * abs_s(x) == x * x),
        ("clip_cases", (x <= -al and cl == -al) or (-al <= x <= al and cl == x)
         or (al <= x and cl == al))])
