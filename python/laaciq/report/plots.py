"""The report's figures (matplotlib, Agg backend), each returned as PNG bytes.

* :func:`mse_curves` — MSE(α) at 4 bits for Gaussian, Laplace and Student-t ν = 5: the exact MSE
  of the quantizer against each seed's noise model, optima marked;
* :func:`alpha_vs_kurtosis` — α*/σ against excess kurtosis across families, with the seeds'
  rule 2.5 + 0.3·ln(1 + max(0, κ)) overlaid;
* :func:`mse_vs_bits` — optimal MSE against bits with the Shannon bound σ²·2^(-2B);
* :func:`seed_table` — seed 002's table: κ_eff against D, the correlation it gives and the one
  the seed states.

Figure names are the keys of :data:`FIGURES`; the report embeds them by these names.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from laaciq.theory import aciq
from laaciq.theory import mse  # noqa: E402
from laaciq.theory import distribution as D  # noqa: E402

__all__ = ["FIGURES", "render_all", "mse_curves", "alpha_vs_kurtosis", "mse_vs_bits",
           "seed_table"]

_STYLE = {"figure.dpi": 100, "font.size": 9, "axes.grid": True, "grid.alpha": 0.3,
          "svg.hashsalt": "laaciq", "axes.spines.top": False, "axes.spines.right": False}
_MODEL_LABELS = {"banner": "Banner: Δ = 2α/2^B", "seed001": "seeds 001/002: Δ = 2α/(2^B−1)",
                 "seed004": "seed 004: Δ²/12·P(|X|≤α)", "uniform": "uniform: Δ = quantizer step"}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def mse_curves(bits: int = 4) -> bytes:
    laws = [("Gaussian", D.Gaussian()), ("Laplace (b = 1/√2)", D.Laplace(0.0, 1 / math.sqrt(2))),
            ("Student-t ν = 5 (σ = 1)", D.StudentT(5.0, 0.0, math.sqrt(3 / 5)))]
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=False)
        a = np.linspace(0.6, 7.0, 300)
        for ax, (name, d) in zip(axes, laws):
            ex = np.asarray(mse.mse_exact(d, a, bits))
            ax.plot(a, ex, color="black", lw=2, label="exact MSE")
            r = aciq.optimal_alpha(d, bits)
            ax.plot([r.alpha], [r.value], "o", color="black")
            for i, m in enumerate(mse.MODELS):
                y = np.asarray(mse.mse_model(d, a, bits, m))
                ax.plot(a, y, lw=1, ls=("--", ":", "-.", (0, (5, 1)))[i], label=_MODEL_LABELS[m])
                rm = aciq.optimal_alpha(d, bits, m)
                ax.plot([rm.alpha], [rm.value], "x", color=ax.lines[-1].get_color())
            ax.set_yscale("log")
            ax.set_title(f"{name}, {bits} bits (α*/σ = {r.alpha_over_sigma:.3f})")
            ax.set_xlabel("α / σ")
        axes[0].set_ylabel("MSE (σ = 1)")
        axes[0].legend(fontsize=7, loc="upper right")
        return _png(fig)


def _families():
    out = []
    for nu in (4.2, 4.5, 5, 6, 7, 8, 10, 15, 20, 30, 60):
        out.append(("Student-t", D.StudentT(float(nu))))
    for b in (0.4, 0.5, 0.6, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0):
        out.append(("generalized Gaussian", D.GenGaussian(b)))
    for s in (2.0, 4.0, 8.0, 16.0):
        out.append(("0.98·N(0,1) + 0.02·N(0,s²)",
                    D.Mixture((0.98, 0.02), (D.Gaussian(0, 1), D.Gaussian(0, s)))))
    out.append(("Uniform", D.Uniform()))
    return out


def alpha_vs_kurtosis(bits: int = 4) -> bytes:
    pts = {}
    for fam, d in _families():
        r = aciq.optimal_alpha(d, bits)
        pts.setdefault(fam, []).append((d.excess_kurtosis(), r.alpha_over_sigma))
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for fam, p in pts.items():
            p.sort()
            ax.plot([x for x, _ in p], [y for _, y in p], "o-", ms=4, lw=1, label=fam)
        k = np.linspace(-1.3, 110, 500)
        ax.plot(k, 2.5 + 0.3 * np.log1p(np.maximum(0, k)), color="black", lw=2,
                label="seeds: 2.5 + 0.3·ln(1 + max(0, κ))")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("excess kurtosis κ")
        ax.set_ylabel(f"optimal α*/σ ({bits} bits, exact MSE)")
        ax.legend(fontsize=7)
        ax.set_title("The optimal clip is not a function of κ")
        return _png(fig)


def mse_vs_bits() -> bytes:
    bits = np.arange(2, 11)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for name, d in (("Gaussian", D.Gaussian()), ("Laplace", D.Laplace(0.0, 1 / math.sqrt(2))),
                        ("Student-t ν = 5", D.StudentT(5.0, 0.0, math.sqrt(3 / 5)))):
            ax.plot(bits, [aciq.optimal_alpha(d, int(b)).value for b in bits], "o-", ms=4,
                    label=f"{name}: optimal MSE")
        ax.plot(bits, 2.0 ** (-2 * bits), color="black", lw=2, label="Shannon bound σ²·2^(−2B)")
        ax.plot(bits, 0.19 * 2.0 ** (-(bits - 2) / 2), color="gray", ls=":",
                label="seed 004's MSE ∝ 2^(−B/2)")
        ax.set_yscale("log")
        ax.set_xlabel("bits B")
        ax.set_ylabel("MSE (σ = 1)")
        ax.legend(fontsize=7)
        ax.set_title("Optimal MSE falls ≈ 4× per bit")
        return _png(fig)


def seed_table() -> bytes:
    from laaciq.verify.checks.arithmetic import table_columns
    langs, _, k, d = table_columns()
    r = float(np.corrcoef(k, d)[0, 1])
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(k, d, "o", color="C3")
        for x, y, lang in zip(k, d, langs):
            ax.annotate(lang, (x, y), textcoords="offset points", xytext=(4, 4))
        slope, icpt = np.polyfit(k, d, 1)
        xs = np.linspace(k.min() - 0.5, k.max() + 0.5, 10)
        ax.plot(xs, slope * xs + icpt, color="gray", lw=1)
        ax.set_xlabel("κ_eff(λ) (seed 002 table)")
        ax.set_ylabel("D(λ)")
        ax.set_title(f"Seed 002's table: r = {r:.3f} (n = 4); the seed states r = −0.838, p < 0.001")
        return _png(fig)


#: Figure name -> (builder, caption).
FIGURES = {
    "mse_curves.png": (mse_curves, "MSE(α) at 4 bits: exact MSE of the quantizer (black) and the "
                                   "seeds' noise models; dots and crosses mark the optima."),
    "alpha_vs_kurtosis.png": (alpha_vs_kurtosis, "α*/σ against excess kurtosis at 4 bits across "
                                                 "families, with the seeds' kurtosis rule."),
    "mse_vs_bits.png": (mse_vs_bits, "Optimal MSE against bits, with the Shannon bound "
                                     "σ²·2^(−2B) and seed 004's 2^(−B/2)."),
    "seed_table.png": (seed_table, "Seed 002's four-language table: κ_eff against D."),
}


def render_all() -> dict[str, bytes]:
    """Every figure as PNG bytes, by name."""
    return {name: fn() for name, (fn, _) in FIGURES.items()}
