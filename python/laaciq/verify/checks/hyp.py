"""Hypothesis, driven programmatically: strategies, one property runner, one search.

Every run is derandomized, uses no example database and prints nothing, so a harness run is
repeatable. Strategies cover what floats get wrong and what the seeds forget: zeros, ties (points
on a rounding boundary), tiny (10^-30) and huge (10^30) magnitudes, repeated atoms, bit-widths
2..16, and mixtures of skewed components. All values are exact ``Fraction``\\ s.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

from hypothesis import HealthCheck, Phase, Verbosity, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from laaciq.theory import quantizer

__all__ = ["rationals", "positive_rationals", "bits", "quant_cases", "finite_laws",
           "skewed_laws", "fmt_law", "law_json", "run_property", "search", "jsonable"]

_ALL_HEALTH = list(HealthCheck)


def _settings(n: int, shrink: bool = True) -> settings:
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=max(1, int(n)), derandomize=True, database=None, deadline=None,
                    verbosity=Verbosity.quiet, suppress_health_check=_ALL_HEALTH,
                    print_blob=False, phases=phases, report_multiple_bugs=False)


# ---------------------------------------------------------------------------------------------
# strategies


def rationals(lo: int = -20, hi: int = 20) -> st.SearchStrategy[Fraction]:
    """Zero, small integers, fractions with small denominators, and ``k·10^e`` for
    ``|e| ≤ 30`` (tiny and huge)."""
    return st.one_of(
        st.just(Fraction(0)),
        st.integers(lo, hi).map(Fraction),
        st.fractions(min_value=lo, max_value=hi, max_denominator=64),
        st.builds(lambda k, e: Fraction(k) * Fraction(10) ** e,
                  st.integers(-99, 99), st.integers(-30, 30)),
    )


def positive_rationals() -> st.SearchStrategy[Fraction]:
    """Rationals ``> 0`` (tiny and huge included)."""
    return st.one_of(
        st.integers(1, 20).map(Fraction),
        st.fractions(min_value=Fraction(1, 64), max_value=20, max_denominator=64)
        .filter(lambda f: f > 0),
        st.builds(lambda k, e: Fraction(k) * Fraction(10) ** e,
                  st.integers(1, 99), st.integers(-30, 30)),
    )


def bits(lo: int = 2, hi: int = 16) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


@st.composite
def quant_cases(draw, max_bits: int = 16):
    """``(x, alpha, bits)`` with ``x`` often on the grid, on a tie (half a step off the grid),
    at ``±alpha`` or beyond it."""
    b = draw(bits(2, max_bits))
    a = draw(positive_rationals())
    L = quantizer.levels(b)
    s = a / L
    k = draw(st.integers(-L - 2, L + 2))
    x = draw(st.one_of(
        rationals(),
        st.just(k * s),
        st.just((Fraction(2 * k + 1, 2)) * s),
        st.sampled_from([a, -a, 2 * a, -3 * a]),
        rationals().map(lambda r: a * r / 7),
    ))
    return x, a, b


@st.composite
def finite_laws(draw, max_atoms: int = 6, values=None):
    """``(values, weights)``: 1..``max_atoms`` atoms drawn from a pool of at most 3 values (so
    atoms repeat: ties), zero often; positive integer weights normalized to sum exactly to 1."""
    pool = draw(st.lists(values if values is not None else rationals(), min_size=1, max_size=3))
    n = draw(st.integers(1, max_atoms))
    vals = [draw(st.sampled_from(pool + [Fraction(0)])) for _ in range(n)]
    raw = [draw(st.integers(1, 9)) for _ in range(n)]
    tot = sum(raw)
    return tuple(vals), tuple(Fraction(r, tot) for r in raw)


@st.composite
def skewed_laws(draw, max_atoms: int = 4):
    """Finite laws of 2..``max_atoms`` distinct small integers with unequal weights (skewed)."""
    n = draw(st.integers(2, max_atoms))
    vals = draw(st.lists(st.integers(-6, 6), min_size=n, max_size=n, unique=True))
    raw = draw(st.lists(st.integers(1, 6), min_size=n, max_size=n))
    tot = sum(raw)
    return tuple(Fraction(v) for v in vals), tuple(Fraction(r, tot) for r in raw)


# ---------------------------------------------------------------------------------------------
# runners


def jsonable(x):
    """Fractions as ``"p/q"`` strings, tuples as lists (for counterexample records)."""
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, float):
        return float(f"{x:.12g}")
    return x


def fmt_law(law) -> str:
    """A finite law as text: ``{1 w.p. 1/2, 2 w.p. 1/2}``."""
    return "{" + ", ".join(f"{v} w.p. {w}" for v, w in zip(*law)) + "}"


def law_json(law) -> dict:
    """A finite law as ``{"values": [...], "weights": [...]}`` (Fractions as strings)."""
    return {"values": jsonable(list(law[0])), "weights": jsonable(list(law[1]))}


def run_property(strategy: st.SearchStrategy, prop: Callable[[object], str | None],
                 n: int) -> tuple[str, int, object | None, str]:
    """Check ``prop(example)`` (``None`` = holds, else a message) on ``n`` derandomized examples.

    Returns ``(result, examples, minimal failing example or None, message)``; ``result`` is
    ``pass``, ``fail`` or ``error`` (the property raised).
    """
    calls = 0
    failing: list = []

    @_settings(n)
    @given(strategy)
    def test(ex):
        nonlocal calls
        calls += 1
        msg = prop(ex)
        if msg is not None:
            failing.append((ex, msg))
            raise AssertionError(msg)

    try:
        test()
    except AssertionError:
        ex, msg = failing[-1]
        return "fail", calls, ex, msg
    except Exception as exc:
        return "error", calls, None, f"{type(exc).__name__}: {exc}"
    return "pass", calls, None, ""


def search(strategy: st.SearchStrategy, condition: Callable[[object], bool], n: int):
    """The minimal example satisfying ``condition`` (Hypothesis ``find``, shrunk), or ``None``."""
    try:
        return find(strategy, condition, settings=_settings(n))
    except NoSuchExample:
        return None
