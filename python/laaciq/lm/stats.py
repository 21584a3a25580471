"""Statistics of the probe, over languages and over text units (pages).

Every function here is pure numpy/scipy on arrays of measurements; nothing knows about models.
Resampling is *paired*: one draw of units per language is shared by every configuration of that
language, so differences between configurations are resampled together.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ci", "pearson", "spearman", "rank", "permutation_p", "holm", "loo_range",
           "partial_spearman", "unit_draws", "resampled_sums", "relative_increase",
           "disparity_difference", "cochran_q"]


def ci(samples, level: float = 0.95) -> list:
    """Percentile interval of the finite ``samples`` (``[None, None]`` if there are none)."""
    s = np.asarray(samples, float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return [None, None]
    t = (1 - level) / 2 * 100
    return [float(np.percentile(s, t)), float(np.percentile(s, 100 - t))]


def pearson(x, y) -> float:
    """Pearson r (``nan`` for fewer than 3 points or a constant variable)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def rank(x) -> np.ndarray:
    """Ranks 1..n with ties given their average rank."""
    from scipy.stats import rankdata
    return rankdata(np.asarray(x, float))


def spearman(x, y) -> float:
    """Spearman ρ = Pearson r of the (average) ranks."""
    return pearson(rank(x), rank(y))


def permutation_p(x, y, n: int, rng, stat=spearman) -> float:
    """Two-sided permutation p of ``stat(x, y)``: (1 + #{|stat(x, π y)| ≥ |stat(x, y)|})/(n + 1)."""
    r0 = stat(x, y)
    if not math.isfinite(r0):
        return float("nan")
    y = np.asarray(y, float)
    hits = sum(abs(stat(x, rng.permutation(y))) >= abs(r0) - 1e-12 for _ in range(n))
    return (hits + 1) / (n + 1)


def holm(pvalues: dict) -> dict:
    """Holm–Bonferroni adjusted p-values (``None``/nan entries are left out and returned as
    ``None``): sort ascending, ``p̃_(j) = max_{i ≤ j} min(1, (m − i + 1) p_(i))``."""
    ok = {k: float(p) for k, p in pvalues.items() if p is not None and math.isfinite(p)}
    m = len(ok)
    out: dict = {k: None for k in pvalues}
    run = 0.0
    for i, (k, p) in enumerate(sorted(ok.items(), key=lambda kv: kv[1])):
        run = max(run, min(1.0, (m - i) * p))
        out[k] = run
    return out


def loo_range(x, y, stat=spearman) -> list:
    """``[min, max]`` of ``stat`` with one language left out at a time."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    vals = [stat(np.delete(x, i), np.delete(y, i)) for i in range(x.size)]
    vals = [v for v in vals if math.isfinite(v)]
    return [min(vals), max(vals)] if vals else [None, None]


def partial_spearman(x, y, groups) -> float:
    """Spearman ρ with a categorical covariate: the ranks of ``x`` and ``y`` are residualised on
    group indicators (each minus its group mean), then correlated. ``nan`` when fewer than 3
    points or the residuals are constant (e.g. one language per group)."""
    rx, ry = rank(x), rank(y)
    g = np.asarray(groups)
    labels, sizes = np.unique(g, return_counts=True)
    if sizes[sizes >= 2].sum() < 3:      # a language alone in its script carries no information
        return float("nan")
    for lab in labels:
        m = g == lab
        rx[m] -= rx[m].mean()
        ry[m] -= ry[m].mean()
    return pearson(rx, ry)


def unit_draws(rng, n_units: int, B: int) -> np.ndarray:
    """(B, n_units) multiplicities of a bootstrap over units (each row sums to ``n_units``)."""
    idx = rng.integers(0, n_units, size=(B, n_units))
    M = np.zeros((B, n_units))
    np.add.at(M, (np.arange(B)[:, None], idx), 1.0)
    return M


def resampled_sums(M: np.ndarray, per_unit) -> np.ndarray:
    """Σ over resampled units of a per-unit quantity: ``M @ per_unit`` (B,)."""
    return M @ np.asarray(per_unit, float)


def relative_increase(nll_q, nll_fp, count):
    """``exp((Σ NLL_q − Σ NLL_fp)/Σ count) − 1``: D, the relative perplexity increase (arrays
    broadcast: point values or bootstrap replicates)."""
    return np.exp((np.asarray(nll_q, float) - np.asarray(nll_fp, float))
                  / np.asarray(count, float)) - 1.0


def disparity_difference(strategy_boot, control_boot, strategy_point, control_point) -> dict:
    """Δ = Disparity(control) − Disparity(strategy), Disparity = max − min over languages.

    ``*_boot``: (languages, B) replicates of D, paired (the same unit draws for both);
    ``*_point``: (languages,) point values. Returns Δ, its 95% percentile CI and the two-sided
    bootstrap p ``min(1, 2 min(P(Δ_b ≤ 0), P(Δ_b ≥ 0)))`` floored at ``1/(B + 1)``.
    """
    S, C = np.asarray(strategy_boot, float), np.asarray(control_boot, float)
    db = (C.max(0) - C.min(0)) - (S.max(0) - S.min(0))
    sp, cp = np.asarray(strategy_point, float), np.asarray(control_point, float)
    delta = float((cp.max() - cp.min()) - (sp.max() - sp.min()))
    B = db.size
    p = min(1.0, 2 * min(np.mean(db <= 0), np.mean(db >= 0)))
    return {"delta": delta, "ci": ci(db), "p": max(p, 1.0 / (B + 1)),
            "disparity_strategy": float(sp.max() - sp.min()),
            "disparity_control": float(cp.max() - cp.min())}


def disparity_loo(strategy_point, control_point, langs) -> dict:
    """Δ = Disparity(control) − Disparity(strategy) recomputed with one language left out at a
    time: ``loo_delta`` its ``[min, max]``, ``loo_pivot`` the language whose omission gives the
    smallest Δ (the one the effect leans on most). Descriptive: no plan decides by it."""
    sp, cp = np.asarray(strategy_point, float), np.asarray(control_point, float)
    if sp.size < 3:
        return {"loo_delta": [None, None], "loo_pivot": None}
    vals = [float(np.ptp(np.delete(cp, i)) - np.ptp(np.delete(sp, i))) for i in range(sp.size)]
    i = int(np.argmin(vals))
    return {"loo_delta": [vals[i], max(vals)], "loo_pivot": langs[i]}


def cochran_q(d, se) -> tuple[float, float] | None:
    """Cochran's Q of estimates ``d`` with standard errors ``se`` and its χ² p (df = k − 1);
    ``None`` with fewer than 2 usable estimates."""
    from scipy import stats as sst
    d, se = np.asarray(d, float), np.asarray(se, float)
    ok = np.isfinite(se) & (se > 0)
    if ok.sum() < 2:
        return None
    w = 1 / se[ok] ** 2
    m = np.sum(w * d[ok]) / np.sum(w)
    Q = float(np.sum(w * (d[ok] - m) ** 2))
    return Q, float(sst.chi2.sf(Q, ok.sum() - 1))
