"""The symbolic tier of the cross-checks: SymPy identities and Z3 lemmas.

Every check returns a record ``{"id", "tool", "statement", "result", "detail", "seconds"}`` with
``result`` one of ``"pass"``, ``"fail"``, ``"unknown"``, ``"error"``:

* **SymPy** proves polynomial / rational identities by expanding ``lhs − rhs`` to 0:
  mixture mean, variance, third and fourth central moments from component moments (for 2 and 3
  components with symbolic weights, ``w_n = 1 − Σ_{i<n} w_i``), derived independently through raw
  moments; the defect of seed 004's kurtosis formula; the pointwise MSE decomposition algebra.
* **Z3** proves quantifier-free real (and mixed integer/real) arithmetic lemmas by showing the
  negation is ``unsat``: the clip lemmas of ``LaAciq/Clip.lean`` (clip encoded with ``If``
  exactly as Lean's ``maxS (-α) (minS α x)``) and the quantizer lemmas of
  ``LaAciq/Quantizer.lean`` with ``α`` normalized to 1 (the quantizer is homogeneous,
  ``quantize_homogeneous``) and ``B ∈ {2, 3, 4, 8}`` fixed per query, ``round`` = ``⌊y + ½⌋``
  via ``ToInt``. A Z3 ``unknown`` (e.g. a timeout) is reported as ``"unknown"``, never a pass.

Some records are *refutations*: the checked statement is "the seed's claim is false" or "this
hypothesis is needed", established by a concrete counterexample (Z3 ``sat`` of the claim's
negation, or an exact SymPy evaluation). Their ``statement`` says so.

Each record is declared as a :class:`Spec` with the Lean theorems it cross-checks (short names
in namespace ``LaAciq``); :func:`specs` lists them without running a solver (the check registry
reads the theorems from there), :func:`run_all` runs them.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

from laaciq.verify.checks import theorem_names

__all__ = ["Spec", "specs", "run_all", "Z3_TIMEOUT_MS", "QUANTIZER_BITS"]

#: Per-query Z3 time limit; a query that hits it is ``"unknown"``.
Z3_TIMEOUT_MS = 4000

#: Bit-widths of the Z3 quantizer queries.
QUANTIZER_BITS = (2, 3, 4, 8)


@dataclasses.dataclass(frozen=True)
class Spec:
    """A symbolic record not yet run: ``fn() -> (result, detail)`` and the Lean ``theorems``
    (short names) whose conclusions it checks."""

    id: str
    tool: str
    statement: str
    fn: Callable[[], tuple[str, str]]
    theorems: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "theorems", theorem_names(self.theorems, self.id))

    def run(self) -> dict:
        """The record: ``{"id", "tool", "statement", "result", "detail", "seconds"}``."""
        t0 = time.perf_counter()
        try:
            result, detail = self.fn()
        except Exception as exc:  # a record, not a crash: the report shows it
            result, detail = "error", f"{type(exc).__name__}: {exc}"
        return {"id": self.id, "tool": self.tool, "statement": self.statement,
                "result": result, "detail": detail,
                "seconds": round(time.perf_counter() - t0, 4)}


# =============================================================================================
# SymPy


def _is_zero(expr) -> bool:
    import sympy as sp

    num, _ = sp.fraction(sp.together(expr))
    return sp.expand(num) == 0


def _mixture_symbols(n: int):
    """Symbolic components: weights with Σw = 1 substituted, means, central moments c2..c4."""
    import sympy as sp

    ws = list(sp.symbols(f"w1:{n}", real=True))
    ws.append(1 - sum(ws))
    mus = list(sp.symbols(f"mu1:{n + 1}", real=True))
    s2 = list(sp.symbols(f"s1:{n + 1}", positive=True))  # variances σ_i²
    m3 = list(sp.symbols(f"t1:{n + 1}", real=True))
    m4 = list(sp.symbols(f"q1:{n + 1}", positive=True))
    return ws, mus, s2, m3, m4


def _component_raw_moment(k: int, mu, s2, m3, m4):
    """``E_i[X^k]`` from the component mean and central moments: ``E[(Y + μ)^k]``,
    ``Y = X − μ`` with ``E[Y] = 0, E[Y²] = σ², E[Y³] = m3, E[Y⁴] = m4``."""
    import sympy as sp

    y = sp.Symbol("y")
    c = {0: 1, 1: 0, 2: s2, 3: m3, 4: m4}
    poly = sp.Poly(sp.expand((y + mu) ** k), y)
    return sum(coef * c[mon[0]] for mon, coef in zip(poly.monoms(), poly.coeffs()))


def _mixture_identity_check(n: int) -> tuple[str, str]:
    import sympy as sp

    ws, mus, s2, m3, m4 = _mixture_symbols(n)
    # independent route: raw moments of the mixture are weighted raw moments of the components
    raw = {k: sum(w * _component_raw_moment(k, mu, a, b, c)
                  for w, mu, a, b, c in zip(ws, mus, s2, m3, m4)) for k in range(1, 5)}
    mu = raw[1]
    central2 = raw[2] - mu ** 2
    central3 = raw[3] - 3 * mu * raw[2] + 2 * mu ** 3
    central4 = raw[4] - 4 * mu * raw[3] + 6 * mu ** 2 * raw[2] - 3 * mu ** 4
    # the closed forms of mixture.py
    d = [m - sum(w * mm for w, mm in zip(ws, mus)) for m in mus]
    claims = {
        "mean": (mu, sum(w * m for w, m in zip(ws, mus))),
        "sum w*delta = 0": (sum(w * x for w, x in zip(ws, d)), 0),
        "variance": (central2, sum(w * a for w, a in zip(ws, s2))
                     + sum(w * x ** 2 for w, x in zip(ws, d))),
        "third central": (central3, sum(w * (b + 3 * a * x + x ** 3)
                                        for w, a, b, x in zip(ws, s2, m3, d))),
        "fourth central": (central4, sum(w * (c + 4 * b * x + 6 * a * x ** 2 + x ** 4)
                                         for w, a, b, c, x in zip(ws, s2, m3, m4, d))),
    }
    bad = [name for name, (lhs, rhs) in claims.items() if not _is_zero(sp.expand(lhs - rhs))]
    if bad:
        return "fail", f"n={n}: identities not zero after expansion: {', '.join(bad)}"
    return "pass", (f"n={n}: mean, Σwδ=0, variance, third and fourth central moments agree with "
                    f"the raw-moment derivation (lhs − rhs expands to 0, Σw = 1 substituted)")


def _seed004_defect_check() -> tuple[str, str]:
    import sympy as sp

    out = []
    for n in (2, 3):
        ws, mus, s2, m3, _ = _mixture_symbols(n)
        ks = list(sp.symbols(f"k1:{n + 1}", real=True))
        mu = sum(w * m for w, m in zip(ws, mus))
        d = [m - mu for m in mus]
        var = sum(w * a for w, a in zip(ws, s2)) + sum(w * x ** 2 for w, x in zip(ws, d))
        m4 = [(k + 3) * a ** 2 for k, a in zip(ks, s2)]
        exact = sum(w * (c + 4 * b * x + 6 * a * x ** 2 + x ** 4)
                    for w, a, b, c, x in zip(ws, s2, m3, m4, d)) / var ** 2 - 3
        seed = (sum(w * (k + 3) * a ** 2 for w, k, a in zip(ws, ks, s2))
                + 6 * sum(w * a * x ** 2 for w, a, x in zip(ws, s2, d))
                + sum(w * x ** 4 for w, x in zip(ws, d))) / var ** 2 - 3
        defect = 4 * sum(w * b * x for w, b, x in zip(ws, m3, d)) / var ** 2
        if not _is_zero(exact - seed - defect):
            return "fail", f"n={n}: exact − seed004 − 4Σw·m3·δ/σ⁴ is not 0"
        out.append(n)
    # the defect is not identically zero: a concrete skewed, unequal-mean instance
    ws, mus, s2, m3, _ = _mixture_symbols(2)
    subs = {ws[0]: sp.Rational(1, 2), mus[0]: 0, mus[1]: 2, s2[0]: 1, s2[1]: 1, m3[0]: 1,
            m3[1]: 0}
    mu = sum(w * m for w, m in zip(ws, mus))
    var = sum(w * a for w, a in zip(ws, s2)) + sum(w * (m - mu) ** 2 for w, m in zip(ws, mus))
    val = (4 * sum(w * b * (m - mu) for w, b, m in zip(ws, m3, mus)) / var ** 2).subs(subs)
    if val == 0:
        return "fail", "the defect vanished on the chosen counterexample"
    return "pass", (f"n={tuple(out)}: κ_exact − κ_seed004 = 4Σwᵢm3ᵢδᵢ/σ⁴ identically; "
                    f"nonzero e.g. w=(½,½), μ=(0,2), σ²=(1,1), m3=(1,0): defect = {val}, so "
                    f"seed 004's formula is wrong for skewed components with unequal means")


def _linear_vs_true_check() -> tuple[str, str]:
    import sympy as sp

    # (a) equal means and equal variances: true κ = Σ w κ (n = 3, symbolic)
    ws, _, _, _, _ = _mixture_symbols(3)
    ks = sp.symbols("k1:4", real=True)
    s = sp.Symbol("s", positive=True)
    true_eq = sum(w * (k + 3) * s ** 2 for w, k in zip(ws, ks)) / s ** 2 - 3
    if not _is_zero(true_eq - sum(w * k for w, k in zip(ws, ks))):
        return "fail", "equal means and variances: true κ ≠ Σwκ"
    # (b) the spec example: equal means, w=(½,½), σ²=(1,2), κ=(6/5, 0): both 3/5
    h = sp.Rational(1, 2)
    k1 = sp.Rational(6, 5)
    true_ex = (h * (k1 + 3) * 1 + h * 3 * 4) / (h * 1 + h * 2) ** 2 - 3
    lin_ex = h * k1
    if true_ex != lin_ex:
        return "fail", f"spec example: true {true_ex} vs linear {lin_ex}"
    # (c) in general they differ: two centred Gaussians with σ² = (1, 4)
    true_g = (h * 3 * 1 + h * 3 * 16) / (h * 1 + h * 4) ** 2 - 3
    if true_g == 0:
        return "fail", "the Gaussian scale mixture has kurtosis 0"
    return "pass", (f"equal means & variances ⇒ κ(Σwᵢ Pᵢ) = Σwᵢκᵢ (symbolic, n=3); spec example "
                    f"gives {true_ex} both ways; but ½N(0,1)+½N(0,4) has κ = {true_g} while "
                    f"Σwκ = 0, so seeds 001/002's linear κ_eff is not the kurtosis of seed 000's "
                    f"mixture in general")


def _mse_pointwise_check() -> tuple[str, str]:
    import sympy as sp

    a = sp.Symbol("alpha", positive=True)
    t = sp.Symbol("t", positive=True)  # x = ±(α + t), |x| > α
    # above: x = α + t, clip = α; below: x = −α − t, clip = −α
    above = (a + t - a) ** 2 - (sp.Abs(a + t) - a) ** 2
    below = (-a - t - (-a)) ** 2 - (sp.Abs(-a - t) - a) ** 2
    if sp.simplify(above) != 0 or sp.simplify(below) != 0:
        return "fail", "(x − clip x)² ≠ (|x| − α)² outside [−α, α]"
    # the squared error splits with no cross term: outside, Q(x) = clip(x) = ±α (saturation,
    # Z3-checked), so (x − Q)² = (x − clip)² + (clip − Q)² + 2(x − clip)(clip − Q) has
    # clip − Q = 0; inside, x − clip = 0. Check the expansion algebra itself:
    x, c, q = sp.symbols("x c q", real=True)
    full = sp.expand((x - q) ** 2 - ((x - c) ** 2 + (c - q) ** 2 + 2 * (x - c) * (c - q)))
    if full != 0:
        return "fail", "(x−Q)² ≠ (x−c)² + (c−Q)² + 2(x−c)(c−Q)"
    # uniform rounding error on [−Δ/2, Δ/2] has mean square Δ²/12
    e, dlt = sp.Symbol("e", real=True), sp.Symbol("Delta", positive=True)
    ms = sp.integrate(e ** 2 / dlt, (e, -dlt / 2, dlt / 2))
    if sp.simplify(ms - dlt ** 2 / 12) != 0:
        return "fail", f"∫ e²/Δ over [−Δ/2, Δ/2] = {ms} ≠ Δ²/12"
    return "pass", ("for |x| > α ≥ 0: (x − clip x)² = (|x| − α)²; (x−Q)² = (x−c)² + (c−Q)² + "
                    "2(x−c)(c−Q) with one of x−c, c−Q zero at every x (so MSE = E_clip + "
                    "E[(x−Q)²·𝟙{|x|≤α}] exactly); uniform error on [−Δ/2, Δ/2] has mean "
                    "square Δ²/12")


def _step_size_check() -> tuple[str, str]:
    import sympy as sp

    a = sp.Symbol("alpha", positive=True)
    rows = []
    for B in (2, 3, 4, 8):
        L = 2 ** (B - 1) - 1
        ours = a / L
        if sp.simplify(ours - 2 * a / (2 ** B - 2)) != 0:
            return "fail", f"B={B}: α/(2^(B−1)−1) ≠ 2α/(2^B − 2)"
        seed = 2 * a / (2 ** B - 1)
        rows.append(f"B={B}: Δ/Δ_seed = {sp.nsimplify(ours / seed)}")
        if sp.simplify(ours - seed) == 0:
            return "fail", f"B={B}: seed 000's step coincides"
    return "pass", ("the quantizer's step is α/(2^(B−1)−1) = 2α/(2^B − 2), not seed 000's "
                    "2α/(2^B − 1): " + "; ".join(rows))


def _sympy_specs() -> list[Spec]:
    """The SymPy records."""
    return [
        Spec("sympy.mixture_moments_n2", "sympy",
             "2-component mixture: mean, variance (total variance), third and fourth "
             "central moments from component moments", lambda: _mixture_identity_check(2),
             ("variance_mix", "cmoment_four_mix", "mean_mix")),
        Spec("sympy.mixture_moments_n3", "sympy",
             "3-component mixture: mean, variance, third and fourth central moments from "
             "component moments", lambda: _mixture_identity_check(3),
             ("variance_mix", "cmoment_four_mix")),
        Spec("sympy.seed004_kurtosis_defect", "sympy",
             "κ_exact − seed 004's formula = 4 Σ wᵢ m3ᵢ δᵢ / σ⁴ (refutes seed 004's formula "
             "for skewed components with unequal means)", _seed004_defect_check,
             ("cmoment_four_mix_eq_seed004_add", "cmoment_four_mix_eq_seed004_iff")),
        Spec("sympy.kappa_eff_linear_vs_true", "sympy",
             "Σ ā κ equals the mixture kurtosis when means and variances agree, and not in "
             "general (refutation of the linear κ_eff as the effective law's kurtosis)",
             _linear_vs_true_check, ("kurtosis_mix_eq_linear", "kurtosis_linear_example")),
        Spec("sympy.mse_pointwise_decomposition", "sympy",
             "(x − clip x)² = (|x| − α)² for |x| > α; error splits with no cross term; "
             "uniform rounding error has mean square Δ²/12", _mse_pointwise_check,
             ("sq_sub_quantize_eq",)),
        Spec("sympy.step_size", "sympy",
             "step = α/(2^(B−1)−1) = 2α/(2^B−2) ≠ seed 000's 2α/(2^B−1) (refutation)",
             _step_size_check, ("step_eq_two_mul_div", "claim_step_false")),
    ]


# =============================================================================================
# Z3


def _z3_prove(claim, hyps=(), expect: str = "unsat") -> tuple[str, str]:
    """Check ``hyps ∧ ¬claim``: ``unsat`` proves the claim. With ``expect="sat"`` the record
    is a refutation: a model of the negation is the expected counterexample."""
    import z3

    s = z3.Solver()
    s.set("timeout", Z3_TIMEOUT_MS)
    s.add(*hyps)
    s.add(z3.Not(claim))
    r = s.check()
    if r == z3.unknown:
        return "unknown", f"z3 returned unknown ({s.reason_unknown()})"
    if expect == "unsat":
        if r == z3.unsat:
            return "pass", "negation unsat"
        return "fail", f"counterexample: {s.model()}"
    if r == z3.sat:
        return "pass", f"negation sat as expected (the hypothesis is needed): {s.model()}"
    return "fail", "negation unsat: the claimed counterexample does not exist"


def _z3_defs():
    import z3

    def min_s(p, q):
        return z3.If(p <= q, p, q)

    def max_s(p, q):
        return z3.If(p <= q, q, p)

    def abs_s(p):
        return max_s(p, -p)

    def clip(a, x):
        return max_s(-a, min_s(a, x))

    return min_s, max_s, abs_s, clip


def _clip_specs() -> list[Spec]:
    """The clip lemmas, each named after the ``LaAciq/Clip.lean`` theorem it restates."""
    import z3

    _, max_s, abs_s, clip = _z3_defs()
    a, b, x, y = z3.Reals("a b x y")
    nn = a >= 0
    lemmas = [
        ("clip_le_alpha", "0 ≤ α → clip α x ≤ α", clip(a, x) <= a, [nn]),
        ("neg_alpha_le_clip", "−α ≤ clip α x (every α)", -a <= clip(a, x), []),
        ("clip_in_range", "0 ≤ α → −α ≤ clip α x ≤ α",
         z3.And(-a <= clip(a, x), clip(a, x) <= a), [nn]),
        ("clip_of_in_range", "−α ≤ x ≤ α → clip α x = x", clip(a, x) == x,
         [-a <= x, x <= a]),
        ("clip_idempotent", "clip α (clip α x) = clip α x (every α)",
         clip(a, clip(a, x)) == clip(a, x), []),
        ("clip_abs_le", "0 ≤ α → |clip α x| ≤ α", abs_s(clip(a, x)) <= a, [nn]),
        ("clip_mono_x", "x ≤ y → clip α x ≤ clip α y (every α)", clip(a, x) <= clip(a, y),
         [x <= y]),
        ("clip_mono_alpha", "0 ≤ α ≤ β → clip α x ∈ [−β, β]",
         z3.And(-b <= clip(a, x), clip(a, x) <= b), [nn, a <= b]),
        ("clip_nonneg", "0 ≤ x → 0 ≤ clip α x (every α)", clip(a, x) >= 0, [x >= 0]),
        ("clip_of_alpha_le", "0 ≤ α ≤ x → clip α x = α", clip(a, x) == a, [nn, a <= x]),
        ("clip_of_le_neg_alpha", "0 ≤ α, x ≤ −α → clip α x = −α", clip(a, x) == -a,
         [nn, x <= -a]),
        ("clip_eq_self_iff", "0 ≤ α → (clip α x = x ↔ −α ≤ x ≤ α)",
         (clip(a, x) == x) == z3.And(-a <= x, x <= a), [nn]),
        ("clip_lipschitz", "0 ≤ α → |clip α x − clip α y| ≤ |x − y|",
         abs_s(clip(a, x) - clip(a, y)) <= abs_s(x - y), [nn]),
        ("clip_neg", "0 ≤ α → clip α (−x) = −clip α x", clip(a, -x) == -clip(a, x), [nn]),
        ("abs_sub_clip", "0 ≤ α → |x − clip α x| = max(|x| − α, 0)",
         abs_s(x - clip(a, x)) == max_s(abs_s(x) - a, 0), [nn]),
        ("sub_clip_eq_zero_iff", "0 ≤ α → (x − clip α x = 0 ↔ −α ≤ x ≤ α)",
         (x - clip(a, x) == 0) == z3.And(-a <= x, x <= a), [nn]),
    ]
    recs = [Spec(f"z3.clip.{name}", "z3", stmt, lambda c=claim, h=hyps: _z3_prove(c, h),
                 (name,))
            for name, stmt, claim, hyps in lemmas]
    # the hypothesis 0 ≤ α is needed where Lean assumes it (with the Lean refutation, if any)
    needed = [
        ("clip_le_alpha", clip(a, x) <= a, ("claim_clip_le_alpha_false",)),
        ("clip_neg", clip(a, -x) == -clip(a, x), ()),
        ("abs_sub_clip", abs_s(x - clip(a, x)) == max_s(abs_s(x) - a, 0), ()),
    ]
    recs += [Spec(f"z3.clip.{name}.needs_alpha_nonneg", "z3",
                  f"refutation: without 0 ≤ α, {name} fails (a counterexample exists)",
                  lambda c=claim: _z3_prove(c, [], expect="sat"), theorems)
             for name, claim, theorems in needed]
    return recs


def _quantizer_specs() -> list[Spec]:
    """The quantizer lemmas per bit-width. A lemma whose last field is ``True`` is named after
    the ``LaAciq/Quantizer.lean`` theorem it restates; the others have no Lean twin."""
    import z3

    _, _, abs_s, clip = _z3_defs()
    recs = []
    one = z3.RealVal(1)
    for B in QUANTIZER_BITS:
        L = 2 ** (B - 1) - 1
        s = z3.RealVal(1) / L  # step with α = 1

        def q_parts(x, L=L, s=s):
            c = clip(one, x)
            k = z3.ToInt(c * L + z3.RealVal(1) / 2)  # roundS(c / s) = ⌊c·L + ½⌋
            return c, k, s * z3.ToReal(k)

        x, y = z3.Reals("x y")
        c, k, qx = q_parts(x)
        _, _, qy = q_parts(y)
        _, _, qqx = q_parts(qx)
        lemmas = [
            ("quantize_mem_grid", f"|k| ≤ {L} (= 2^(B−1)−1) and Q x = k·step",
             z3.And(-L <= k, k <= L, qx == s * z3.ToReal(k)), [], True),
            ("quantize_mem_range", "−1 ≤ Q x ≤ 1", z3.And(-1 <= qx, qx <= 1), [], True),
            ("abs_sub_quantize_le", "|x| ≤ 1 → |x − Q x| ≤ step/2", abs_s(x - qx) <= s / 2,
             [-1 <= x, x <= 1], True),
            ("abs_clip_sub_quantize_le", "|clip x − Q x| ≤ step/2 (every x)",
             abs_s(c - qx) <= s / 2, [], False),
            ("quantize_of_alpha_le", "1 ≤ x → Q x = 1", qx == 1, [x >= 1], True),
            ("quantize_of_le_neg_alpha", "x ≤ −1 → Q x = −1", qx == -1, [x <= -1], True),
            ("quantize_outside_error", "|x| > 1 → |x − Q x| = |x| − 1 (pure clipping error)",
             abs_s(x - qx) == abs_s(x) - 1, [abs_s(x) > 1], False),
            ("quantize_mono", "x ≤ y → Q x ≤ Q y", qx <= qy, [x <= y], True),
            ("quantize_idempotent", "Q (Q x) = Q x", qqx == qx, [], True),
        ]
        for name, stmt, claim, hyps, lean in lemmas:
            recs.append(Spec(f"z3.quantizer.B{B}.{name}", "z3", f"α = 1, B = {B}: {stmt}",
                             lambda cl=claim, h=hyps: _z3_prove(cl, h),
                             (name,) if lean else ()))
    return recs


def _z3_specs() -> list[Spec]:
    """The Z3 records (clip lemmas, then quantizer lemmas per bit-width)."""
    try:
        import z3  # noqa: F401
    except ImportError as exc:
        return [Spec("z3.import", "z3", "z3-solver is importable",
                     lambda why=f"cannot import z3: {exc}": ("error", why))]
    return _clip_specs() + _quantizer_specs()


def specs() -> list[Spec]:
    """Every symbolic record, not run: SymPy identities, then Z3 lemmas (building them imports
    SymPy and Z3 but asks no solver)."""
    try:
        import sympy  # noqa: F401
        sym = _sympy_specs()
    except ImportError as exc:
        sym = [Spec("sympy.import", "sympy", "sympy is importable",
                    lambda why=f"cannot import sympy: {exc}": ("error", why))]
    return sym + _z3_specs()


def run_all() -> list[dict]:
    """Every symbolic record, run: SymPy identities, then Z3 lemmas."""
    return [s.run() for s in specs()]
