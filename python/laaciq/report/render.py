"""Render the report from ``status.json``: ``STATUS.md``, ``index.html`` and the figures.

Both documents come from jinja2 templates in ``laaciq/report/templates/`` (no markup is built in
Python). ``index.html`` is self-contained: inline CSS, figures embedded as base64 PNG, so it works
from a ``file://`` URL. Everything is rendered in memory first and then written file by file
with ``io.atomic_write_*``, so a rendering error leaves the previous report untouched.
"""

from __future__ import annotations

import base64
import sys
import json
import math
from pathlib import Path

import jinja2

from laaciq.verify import claims as claims_mod
from laaciq.report import compare_view, experiment_view, plots
from laaciq.report import proofmap
from laaciq.errors import InternalCheckError, LaaciqError
from laaciq.verify import harness
from laaciq.verify.harness import INDEX_HTML, STATUS_JSON, STATUS_MD, validate_status
from laaciq.io import atomic_write_bytes, atomic_write_text, read_json

__all__ = ["PLOTS_DIR", "PROOFMAP_SVG", "VERDICT_COLORS", "SEED_TITLES", "render", "status_text", "write_status", "write_all",
           "rerender"]

#: Where the figures go, relative to the report folder.
PLOTS_DIR = "plots"
#: Short titles of the seeds, by file-name prefix.
SEED_TITLES = {"000": "LA-ACIQ Derivation: Problem Setup",
               "001": "LA-ACIQ: Mathematical Summary",
               "002": "Language-Aware ACIQ: Theoretical Framework",
               "003": "LA-ACIQ v2: Refined Theory",
               "004": "Theory Deep Dive: What We Actually Have"}
#: One line per verdict, for the legend (defined once, in the claims module).
VERDICT_HELP = claims_mod.VERDICT_HELP
#: Badge and proof-map colours per verdict: (fill, text).
VERDICT_COLORS = {
    "proved": ("#1a7f37", "#ffffff"), "holds": ("#a7e0b5", "#0b3d1a"),
    "holds-if": ("#d7f0a8", "#2f4a00"), "approximate": ("#d8ecff", "#0a3a6b"),
    "refuted": ("#cf222e", "#ffffff"), "inconsistent": ("#f7b267", "#4a2500"),
    "open": ("#e8dcff", "#3b1d73"), "measured": ("#0969da", "#ffffff"),
    "not-testable-here": ("#e6e8eb", "#3a4048"), "definition": ("#f6f6f6", "#555555"),
}
#: The proof map, written beside the report (and embedded in index.html).
PROOFMAP_SVG = "proofmap.svg"


def _num(x, digits: int = 4) -> str:
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x)
        return f"{x:.{digits}g}"
    return str(x)


def _cx(cx) -> str:
    """A counterexample dict as one line of ``key = value`` pairs."""
    if not cx:
        return ""
    parts = []
    for k, v in cx.items():
        if k == "check":
            continue
        if isinstance(v, dict) and set(v) == {"values", "weights"}:
            v = "{" + ", ".join(f"{a} w.p. {b}" for a, b in zip(v["values"], v["weights"])) + "}"
        elif isinstance(v, (dict, list)):
            v = json.dumps(v, ensure_ascii=False)
        else:
            v = _num(v, 6)
        parts.append(f"{k} = {v}")
    return "; ".join(parts)


def _md_cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("laaciq.report", "templates"),
                             autoescape=lambda name: bool(name) and name.endswith(
                                 (".html.j2", ".svg.j2")),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(num=_num, cx=_cx, md=_md_cell)
    return env


def _context(doc: dict, figures: dict[str, bytes]) -> dict:
    by_seed: dict[str, list] = {}
    for c in doc["claims"]:
        by_seed.setdefault(c["seed"], []).append(c)
    seeds = [{"file": f, "num": f[:3], "title": SEED_TITLES.get(f[:3], f),
              "claims": cs, "counts": {v: sum(1 for c in cs if c["verdict"] == v)
                                       for v in claims_mod.VERDICTS}}
             for f, cs in sorted(by_seed.items())]
    errata = [c for c in doc["claims"] if c["verdict"] in ("refuted", "inconsistent")]
    seed_summary = doc.get("seed_summary") or {s["file"]: s["counts"] for s in seeds}
    checks = doc.get("checks", [])
    by_kind: dict[str, list] = {}
    for r in checks:
        by_kind.setdefault(r["kind"], []).append(r)
    modules: dict[str, list] = {}
    for t in doc["theorems"]:
        modules.setdefault(t["module"], []).append(t)
    return {
        "doc": doc, "seeds": seeds, "errata": errata, "verdicts": claims_mod.VERDICTS,
        "verdict_help": VERDICT_HELP, "checks_by_kind": by_kind, "modules": modules,
        "figures": [{"name": n, "caption": plots.FIGURES[n][1],
                     "b64": base64.b64encode(figures[n]).decode("ascii"),
                     "path": f"{PLOTS_DIR}/{n}"} for n in plots.FIGURES if n in figures],
        "status_json": STATUS_JSON, "status_md": STATUS_MD, "index_html": INDEX_HTML,
        "fair": doc.get("fairness"), "bench": bench_view(doc.get("bench")),
        "experiment": experiment_view.view(doc.get("experiment")),
        "compare": compare_view.view(doc.get("compare")),
        "total_claims": len(doc["claims"]),
        "verdict_colors": VERDICT_COLORS, "pm": proofmap.layout(doc["claims"]),
        "proofmap_svg": PROOFMAP_SVG, "seed_summary": seed_summary,
        "seed_titles": SEED_TITLES, "theorem_claims": _theorem_claims(doc["claims"]),
    }


def _theorem_claims(claims: list[dict]) -> dict[str, list[str]]:
    """Lean name -> ids of the claims whose ledger entry links it (the one link)."""
    out: dict[str, list[str]] = {}
    for c in claims:
        names = [t["decl"] for t in c["lean"]] + [t["decl"] for t in
                                                  (c.get("corrected") or {}).get("lean", [])]
        names += [t["decl"] for t in (c.get("see_also") or {}).get("lean", [])]
        for n in dict.fromkeys(names):
            out.setdefault(n, []).append(c["id"])
    return out


def bench_view(bench: dict | None) -> dict | None:
    """Tables of ``bench.json`` for the templates: optimality ratios (per tensor; per channel
    the worst row), speed relative to the exact true-MSE solver, and the stated targets."""
    if not bench or not isinstance(bench.get("optimality"), dict):
        return None
    opt = bench["optimality"]

    def table(cases: dict, cell) -> dict:
        methods = sorted({m for row in cases.values() for m in row if not m.endswith("_stats")})
        return {"methods": methods,
                "rows": [{"case": case, "cells": [cell(row.get(m)) for m in methods]}
                         for case, row in cases.items()]}

    def ratio(v):
        v = v.get("max") if isinstance(v, dict) else v
        return None if v is None else round(float(v), 3)

    speed = {case: {m: v / row["exact-true"] for m, v in row.items()
                    if isinstance(v, (int, float)) and row.get("exact-true")}
             for case, row in (bench.get("speed") or {}).items()}
    targets = []
    pcs = bench.get("per_channel_vs_sort") or {}
    for b in ("4b", "8b"):
        e = pcs.get(b)
        if isinstance(e, dict):
            targets.append({"what": f"exact per-channel true-MSE optimum, {b[:-1]} bits, "
                                    f"{pcs.get('source', '')} ({pcs.get('values', 0):,} values), "
                                    f"≤ {e['target']:.0f}× np.sort(w, axis=-1)",
                            "value": f"{e['seconds']:.2f} s vs {e['np_sort_seconds']:.4f} s = "
                                     f"{e['over_sort']:.0f}×" + (
                                         f" (numpy engine {e['numpy_engine_over_sort']:.0f}×)"
                                         if "numpy_engine_over_sort" in e else ""),
                            "met": bool(e.get("target_met"))})
    ck = bench.get("checkpoint")
    if isinstance(ck, dict) and "weights" in ck:
        targets.append({"what": f"laaciq quantize, {ck['weights']:,} weights per channel at "
                                f"{ck['bits']} bits, {ck['jobs']} jobs: worker peak RSS ≤ 2 × the "
                                f"largest tensor + 300 MB",
                        "value": f"{ck['wall_seconds']:.1f} s, "
                                 f"{ck['weights_per_second_per_core'] / 1e6:.1f} M weights/s per "
                                 f"core (7B: {ck['hours_7B_one_core']:.2f} h, 176B: "
                                 f"{ck['hours_176B_one_core']:.1f} h on one core); RSS "
                                 f"{ck['worker_peak_rss_bytes'] / 2**20:.0f} MB of "
                                 f"{ck['memory_bound_bytes'] / 2**20:.0f} MB",
                        "met": bool(ck.get("within_memory_bound"))})
    to = bench.get("torch_observer") or {}
    for law, e in (to.get("laws") or {}).items():
        targets.append({"what": f"PyTorch {to.get('torch')} HistogramObserver (real) vs its port, "
                                f"{law}, 8 bits: same α",
                        "value": f"relative α difference {e['alpha_rel_diff']:.1e}; MSE / exact "
                                 f"optimum {e['mse_over_exact_torch']:.4f} (real) and "
                                 f"{e['mse_over_exact_port']:.4f} (port); port "
                                 f"{e['port_speedup']:.1f}× faster",
                        "met": bool(e["alpha_rel_diff"] < 1e-5)})
    pc = bench.get("per_channel_4096")
    if pc:
        targets.append({"what": f"exact true-MSE optimum, {pc['shape'][0]}×{pc['shape'][1]} "
                                f"per channel, {pc['bits']} bits, vs the 1920-candidate histogram",
                        "value": f"{pc['exact_true_seconds']:.1f} s vs {pc['nvidia_seconds']:.0f} s"
                                 f" ({pc['speedup']:.1f}× faster"
                                 f"{', extrapolated' if pc.get('nvidia_extrapolated') else ''})",
                        "met": bool(pc.get("target_faster"))})
    svs = bench.get("surrogate_vs_sort") or {}
    for case, row in svs.items():
        if isinstance(row, dict) and "over_sort" in row:
            targets.append({"what": f"exact surrogate optimum ({case}), n = {svs['n']}, "
                                    f"≤ 3× one np.sort", "value": f"{row['over_sort']:.2f}× sort",
                            "met": bool(row.get("target_le_3x"))})
    for case, row in (bench.get("memory") or {}).items():
        targets.append({"what": f"peak extra memory ≤ 3× tensor ({case})",
                        "value": f"{row['over_tensor']:.2f}× tensor",
                        "met": bool(row.get("target_le_3x"))})
    return {"time": bench.get("time"), "commit": bench.get("commit"),
            "machine": bench.get("machine"), "seconds": bench.get("seconds"),
            "per_tensor": table(opt.get("per_tensor", {}), ratio),
            "per_channel": table(opt.get("per_channel", {}), ratio),
            "per_channel_shape": opt.get("per_channel_shape") or [],
            "speed": table(speed, lambda v: None if v is None else round(v, 2)),
            "targets": targets}


def render(doc: dict, figures: dict[str, bytes]) -> tuple[str, str, str]:
    """``(STATUS.md text, index.html text, proofmap.svg text)``."""
    env = _env()
    ctx = _context(doc, figures)
    return (env.get_template("STATUS.md.j2").render(ctx),
            env.get_template("index.html.j2").render(ctx),
            env.get_template("proofmap.svg.j2").render(ctx))


def status_text(doc: dict) -> str:
    """``status.json``'s text (UTF-8, indented, keys in document order)."""
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def write_status(doc: dict, report_dir: Path) -> None:
    """Write ``status.json`` alone, atomically."""
    atomic_write_text(Path(report_dir) / STATUS_JSON, status_text(doc))


def write_all(doc: dict, report_dir: Path, figures: dict[str, bytes] | None = None,
              log=None) -> None:
    """Render everything in memory, then write ``status.json``, the figures, ``STATUS.md`` and
    ``index.html`` atomically."""
    report_dir = Path(report_dir)
    figures = figures if figures is not None else plots.render_all()
    md, html, svg = render(doc, figures)
    text = status_text(doc)
    for name, data in figures.items():
        atomic_write_bytes(report_dir / PLOTS_DIR / name, data)
    atomic_write_text(report_dir / STATUS_JSON, text)
    atomic_write_text(report_dir / PROOFMAP_SVG, svg)
    atomic_write_text(report_dir / STATUS_MD, md)
    atomic_write_text(report_dir / INDEX_HTML, html)
    if log:
        log(f"report: wrote {report_dir / STATUS_JSON}, {report_dir / STATUS_MD}, "
            f"{report_dir / INDEX_HTML}")


def rerender(report_dir: Path, log=None) -> None:
    """Re-render ``STATUS.md`` and ``index.html`` from an existing ``status.json`` (the figures
    are read back from ``plots/``, or drawn again where missing)."""
    report_dir = Path(report_dir)
    path = report_dir / STATUS_JSON
    doc = read_json(path, "status file", "run `laaciq validate` first")
    validate_status(doc)
    figures = {}
    for name, (fn, _) in plots.FIGURES.items():
        f = report_dir / PLOTS_DIR / name
        figures[name] = f.read_bytes() if f.exists() else fn()
    md, html, svg = render(doc, figures)
    atomic_write_text(report_dir / PROOFMAP_SVG, svg)
    atomic_write_text(report_dir / STATUS_MD, md)
    atomic_write_text(report_dir / INDEX_HTML, html)
    if log:
        log(f"report: re-rendered {report_dir / STATUS_MD} and {report_dir / INDEX_HTML}")


def run(root, report_dir, lean_build=None, quick: bool = False, log=None,
        render: bool = True, budget=None) -> dict:
    """Run the harness and write the report; return the status document.

    ``render=False`` writes ``status.json`` only (no figures, no STATUS.md/index.html). A
    Lean-checked theorem that fails an exact numeric check raises ``InternalCheckError`` after
    the report is written, so the report shows the contradiction.
    """
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    doc = harness.build_status(root, report_dir, lean_build=lean_build, quick=quick, log=log,
                               budget=budget)
    if render:
        write_all(doc, report_dir, log=log)
    else:
        write_status(doc, report_dir)
    bad = harness.contradictions(doc)
    if bad:
        decl, cid = bad[0]
        raise InternalCheckError(f"{len(bad)} Lean-checked theorem(s) fail a numeric "
                                 f"check, e.g. {decl} fails {cid}: see "
                                 f"{Path(report_dir) / STATUS_MD}")
    return doc
