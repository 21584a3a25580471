"""The claims ledger (``data/claims.json``) and the verdict computed for each claim.

One entry per verbatim seed quote: the quote **as the seed means it**, read with that seed's own
definitions and domain. Fields:

* ``id``, ``seed`` (file name), ``quote`` (a verbatim substring of that seed: unique per seed);
* ``kind`` — what sort of statement it is (:data:`KINDS`);
* ``reading`` — one line: why this reading is the one the seed's own text supports (other
  readings go into ``note``);
* ``domain`` — where the claim lives (:data:`DOMAIN_KEYS`): ``alpha`` (``">0"`` / ``">=0"``),
  ``bits`` (that seed's bit-widths), ``laws`` (:data:`LAWS`), ``ties`` (the tie rules judged
  when the seed names none) and ``also`` (free text). Every refutation's witness must lie in
  it (:func:`witness_in_domain`); a witness outside proves nothing about the claim;
* ``lean`` and ``checks`` — the theorems and checks that decide the claim (the one link from
  claims to theorems). Simulation checks never decide: they go to ``see_also``;
* ``hypothesis`` — for a claim that holds only under a hypothesis the seed omits, that
  hypothesis (the verdict is then ``holds-if``);
* ``corrected`` — for a refuted or inconsistent claim, what is true instead: ``statement``,
  ``lean`` and ``checks`` (shown with the claim, with their own computed status);
* ``see_also`` — ``checks`` / ``lean`` that illustrate or judge another reading (shown, never
  deciding);
* ``depends_on`` — ids of the claims this one builds on (the proof map);
* ``measure`` — for claims about real models: how to measure them;
* ``note`` — other readings, boundaries (e.g. a witness outside the domain), context.

The ledger holds **no verdict**: :func:`verdict` computes it in every run.
"""

from __future__ import annotations

import dataclasses
import os
from fractions import Fraction
from importlib import resources
from pathlib import Path

from laaciq.errors import LaaciqError
from laaciq.io import read_json
from laaciq.verify.registry import is_refutation

__all__ = ["KINDS", "VERDICTS", "VERDICT_HELP", "LAWS", "DOMAIN_KEYS", "OUTCOMES", "Claim",
           "load", "default_path", "seeds_dir", "check_quotes", "verdict", "domain_text",
           "witness_in_domain", "load_experiment", "EXPERIMENT_JSON", "MEASURE_DEFAULT"]

#: Kinds of claim.
KINDS = ("definition", "theorem", "approximation", "conjecture", "empirical", "prediction",
         "arithmetic", "citation", "contradiction", "modelling")
#: Verdicts, in the order the report lists them, each with its one-line meaning (documented
#: once here; the schema and the report take them from this table).
VERDICT_HELP = {
    "proved": "a linked Lean theorem is checked, covers the claim's domain, and every numeric "
              "check of the claim and of the theorem passes",
    "holds": "every check passes inside the claim's domain (numerically, exactly or "
             "symbolically), without a checked Lean proof",
    "holds-if": "holds only under a hypothesis the seed omits (named with the claim)",
    "approximate": "an approximation whose measured error is within its stated tolerance "
                   "(the error is shown)",
    "refuted": "a counterexample inside the seed's own domain, re-verified exactly, or a "
               "checked Lean refutation whose witness lies in that domain",
    "inconsistent": "contradicts another statement of the seeds or its own arithmetic",
    "open": "nothing here proves or refutes it (a conjecture or a goal)",
    "measured": "measured on a real model (report/experiment.json): the outcome and the "
                "model are shown",
    "not-testable-here": "needs a real model or data that this run does not have; the claim "
                         "says how to measure it",
    "definition": "a definition: nothing to be true or false",
}
VERDICTS = tuple(VERDICT_HELP)
#: Kinds of law a claim can speak about (``domain.laws``).
LAWS = {
    "finite": "finite (empirical) laws, e.g. the weights of a tensor",
    "arbitrary": "arbitrary probability laws (finite ones included)",
    "continuous": "the continuous families with finite kurtosis (Gaussian, Laplace, "
                  "Student-t, generalized Gaussian)",
    "gaussian": "the Gaussian law",
    "laplace": "the Laplace law",
    "real-models": "real networks and data",
    "numbers": "the seed's own numbers",
    "none": "no law (algebra on numbers)",
}
#: Keys of ``domain``.
DOMAIN_KEYS = ("alpha", "bits", "laws", "ties", "also")
#: Outcomes of a real-model measurement.
OUTCOMES = ("supported", "contradicted", "inconclusive")
#: The real-model results file (written by ``make experiment``), in the report folder.
EXPERIMENT_JSON = "experiment.json"
#: How a real-model claim is measured unless its entry says otherwise.
MEASURE_DEFAULT = "run `make experiment` (a real multilingual model; writes report/experiment.json)"

_REQUIRED = {"id": str, "seed": str, "quote": str, "kind": str, "domain": dict, "lean": list,
             "checks": list, "note": str}
_OPTIONAL = {"reading": (str, ""), "hypothesis": (str, ""), "corrected": ((dict, type(None)), None),
             "see_also": (dict, None), "depends_on": (list, None), "measure": (str, "")}
_NAMED_LAWS = {"gaussian": ("Gaussian", "N(0,1)"), "laplace": ("Laplace",)}


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str
    seed: str
    quote: str
    kind: str
    domain: dict
    lean: tuple
    checks: tuple
    note: str
    reading: str = ""
    hypothesis: str = ""
    corrected: dict | None = None
    see_also: dict = dataclasses.field(default_factory=dict)
    depends_on: tuple = ()
    measure: str = ""

    @property
    def about_real_models(self) -> bool:
        return self.domain.get("laws") == "real-models"


def default_path() -> Path:
    """``laaciq/verify/data/claims.json`` inside the installed package."""
    return Path(str(resources.files("laaciq.verify") / "data" / "claims.json"))


def seeds_dir(root: Path | None = None) -> Path:
    """The seed documents: ``$LAACIQ_SEEDS``, else ``../shared/seeds`` beside the project root."""
    env = os.environ.get("LAACIQ_SEEDS")
    if env:
        return Path(env)
    root = Path(root) if root else Path(__file__).resolve().parents[3]
    return (root / ".." / "shared" / "seeds").resolve()


def _names(x) -> bool:
    return isinstance(x, list) and all(isinstance(v, str) and v for v in x)


def _check_domain(where: str, d: dict) -> None:
    extra = sorted(set(d) - set(DOMAIN_KEYS))
    if extra:
        raise LaaciqError(f"{where}: unknown domain key(s) {', '.join(extra)}: allowed are "
                          f"{', '.join(DOMAIN_KEYS)}")
    if "alpha" in d and d["alpha"] not in (">0", ">=0"):
        raise LaaciqError(f"{where}: domain alpha must be '>0' or '>=0', got {d['alpha']!r}")
    if "bits" in d and not (isinstance(d["bits"], list) and d["bits"] and all(
            isinstance(b, int) and not isinstance(b, bool) and b >= 2 for b in d["bits"])):
        raise LaaciqError(f"{where}: domain bits must be a non-empty list of integers ≥ 2, got "
                          f"{d['bits']!r}")
    if d.get("laws") not in LAWS:
        raise LaaciqError(f"{where}: domain laws must be one of {', '.join(LAWS)}, got "
                          f"{d.get('laws')!r}")
    if "ties" in d and not _names(d["ties"]):
        raise LaaciqError(f"{where}: domain ties must list rounding rules")


def load(path: Path | None = None) -> list[Claim]:
    """Read and validate the ledger; every problem raises one :class:`LaaciqError` naming the
    entry, the field and the fix."""
    path = Path(path) if path else default_path()
    doc = read_json(path, "claims ledger", "reinstall the package (`make setup`) or pass the "
                    "right path")
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        raise LaaciqError(f"claims ledger {path} must be an object with a list 'claims'")
    out, seen, quotes = [], set(), {}
    for i, entry in enumerate(doc["claims"]):
        where = f"claims ledger {path.name}, entry {i}"
        if not isinstance(entry, dict):
            raise LaaciqError(f"{where} must be an object, got {type(entry).__name__}")
        if "verdict" in entry:
            raise LaaciqError(f"{where} ({entry.get('id')!r}) has a 'verdict' field: verdicts "
                              f"are computed, remove it")
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise LaaciqError(f"{where} ({entry.get('id')!r}) lacks field(s) "
                              f"{', '.join(missing)}: every entry needs {', '.join(_REQUIRED)}")
        extra = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
        if extra:
            raise LaaciqError(f"{where} ({entry['id']!r}) has unknown field(s) "
                              f"{', '.join(extra)}: allowed are "
                              f"{', '.join([*_REQUIRED, *_OPTIONAL])}")
        for k, t in _REQUIRED.items():
            if not isinstance(entry[k], t):
                raise LaaciqError(f"{where} ({entry.get('id')!r}): field {k!r} must be a "
                                  f"{t.__name__}, got {type(entry[k]).__name__}")
        for k, (t, _) in _OPTIONAL.items():
            if k in entry and entry[k] is not None and not isinstance(entry[k], t):
                raise LaaciqError(f"{where} ({entry['id']!r}): field {k!r} has the wrong type "
                                  f"{type(entry[k]).__name__}")
        for k in ("lean", "checks"):
            if not _names(entry[k]):
                raise LaaciqError(f"{where} ({entry['id']!r}): {k!r} must list non-empty names")
        if entry["kind"] not in KINDS:
            raise LaaciqError(f"{where} ({entry['id']!r}): unknown kind {entry['kind']!r}: "
                              f"choose one of {', '.join(KINDS)}")
        if not entry["id"] or entry["id"] in seen:
            raise LaaciqError(f"{where}: id {entry['id']!r} is empty or repeated: ids must be "
                              f"unique")
        if not entry["quote"].strip():
            raise LaaciqError(f"{where} ({entry['id']!r}): quote is empty")
        key = (entry["seed"], entry["quote"])
        if key in quotes:
            raise LaaciqError(f"{where} ({entry['id']!r}): quote {entry['quote'][:50]!r} of "
                              f"{entry['seed']} is already claim {quotes[key]!r}: one quote, "
                              f"one claim, one verdict (put other readings in its note)")
        quotes[key] = entry["id"]
        _check_domain(f"{where} ({entry['id']!r})", entry["domain"])
        corrected = entry.get("corrected")
        if corrected is not None:
            if set(corrected) - {"statement", "lean", "checks"} or not isinstance(
                    corrected.get("statement"), str) or not corrected["statement"] or not all(
                    _names(corrected.get(k, [])) for k in ("lean", "checks")):
                raise LaaciqError(f"{where} ({entry['id']!r}): 'corrected' must be "
                                  f"{{statement, lean, checks}} with a non-empty statement")
        see = entry.get("see_also") or {}
        if set(see) - {"checks", "lean"} or not all(_names(see.get(k, []))
                                                     for k in ("checks", "lean")):
            raise LaaciqError(f"{where} ({entry['id']!r}): 'see_also' must be {{checks, lean}} "
                              f"lists of names")
        if not _names(entry.get("depends_on") or []) and entry.get("depends_on"):
            raise LaaciqError(f"{where} ({entry['id']!r}): 'depends_on' must list claim ids")
        seen.add(entry["id"])
        out.append(Claim(entry["id"], entry["seed"], entry["quote"], entry["kind"],
                         dict(entry["domain"]), tuple(entry["lean"]), tuple(entry["checks"]),
                         entry["note"], entry.get("reading", ""), entry.get("hypothesis", ""),
                         corrected, dict(see), tuple(entry.get("depends_on") or ()),
                         entry.get("measure", "")))
    ids = {c.id for c in out}
    for c in out:
        bad = [d for d in c.depends_on if d not in ids or d == c.id]
        if bad:
            raise LaaciqError(f"claims ledger {path.name} ({c.id!r}): depends_on names "
                              f"{', '.join(bad)}, not another claim of the ledger")
    _check_acyclic(out, path.name)
    return out


def _check_acyclic(claims: list[Claim], name: str) -> None:
    deps = {c.id: c.depends_on for c in claims}
    state: dict[str, int] = {}

    def visit(n, trail):
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            raise LaaciqError(f"claims ledger {name}: depends_on has a cycle: "
                              f"{' → '.join([*trail, n])}")
        state[n] = 1
        for d in deps[n]:
            visit(d, [*trail, n])
        state[n] = 2

    for n in deps:
        visit(n, [])


def check_quotes(claims: list[Claim], seeds: Path) -> list[str]:
    """Problems with quotes: each must be a verbatim substring of its seed file."""
    problems, cache = [], {}
    for c in claims:
        f = seeds / c.seed
        if c.seed not in cache:
            cache[c.seed] = f.read_text(encoding="utf-8") if f.exists() else None
        text = cache[c.seed]
        if text is None:
            problems.append(f"{c.id}: seed file {f} does not exist")
        elif c.quote not in text:
            problems.append(f"{c.id}: quote {c.quote[:60]!r} is not in {c.seed}")
    return problems


# ---------------------------------------------------------------------------------------------
# domains


def domain_text(d: dict) -> str:
    """The domain as one line, e.g. ``α > 0; B ∈ {2, 3, 4, 8, 16}; finite laws``."""
    parts = []
    if "alpha" in d:
        parts.append("α > 0" if d["alpha"] == ">0" else "α ≥ 0")
    if "bits" in d:
        parts.append("B ∈ {" + ", ".join(map(str, d["bits"])) + "}")
    parts.append(LAWS[d["laws"]])
    if "ties" in d:
        parts.append("ties rounded " + " or ".join(t.replace("_", "-") for t in d["ties"]))
    if d.get("also"):
        parts.append(d["also"])
    return "; ".join(parts)


#: Witness keys the domain guard reads (a witness is a check's ``counterexample`` dict; nested
#: dicts and lists are walked).
_ALPHA_KEYS = ("alpha", "alpha1", "alpha2", "blind_alpha", "alpha_star")
_BITS_KEYS = ("bits", "bits_hi")
_LAW_KEYS = ("law", "law1", "law2", "law_A", "law_B", "component1", "component2", "layer1",
             "layer2")


def _values(v):
    return v if isinstance(v, list) else [v]


def _num(v) -> Fraction | float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    return Fraction(str(v))


def _walk(cx):
    """``(key, value)`` for every key at any depth of a witness."""
    if isinstance(cx, dict):
        for k, v in cx.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(cx, list):
        for v in cx:
            yield from _walk(v)


def witness_in_domain(domain: dict, cx: dict | None) -> tuple[bool, str]:
    """Whether a refutation's witness lies in a claim's domain: ``(ok, reason)``.

    A witness with no structured values (``None``) is never in a domain: it cannot be checked.
    Checked: every α-like value against ``alpha``, every bit-width against ``bits``, every law
    against ``laws`` (a finite law ``{values, weights}`` needs finite or arbitrary laws; a named
    continuous law needs arbitrary or continuous laws or that very law), and the rounding rule
    against ``ties`` (a claim whose domain names tie rules needs a witness that says its rule).
    """
    if not cx:
        return False, "the witness has no recorded values to check against the domain"
    laws = domain.get("laws")
    if laws in ("real-models", "numbers", "none") and any(k in _LAW_KEYS for k, _ in _walk(cx)):
        return False, f"a law witness says nothing about {LAWS[laws]}"
    for k, v in _walk(cx):
        if k in _ALPHA_KEYS and "alpha" in domain:
            for a in _values(v):
                a = _num(a)
                if (a <= 0) if domain["alpha"] == ">0" else (a < 0):
                    return False, f"{k} = {a} is outside α {domain['alpha'].replace('>=', '≥ ').replace('>', '> ')}"
        elif k in _BITS_KEYS and "bits" in domain:
            for b in _values(v):
                if b not in domain["bits"]:
                    return False, f"B = {b} is not a bit-width of this seed {domain['bits']}"
        elif k in _LAW_KEYS:
            finite = isinstance(v, dict) and set(v) == {"values", "weights"}
            if finite and laws not in ("finite", "arbitrary"):
                return False, f"a finite law is not among {LAWS[laws]}"
            if isinstance(v, str) and laws not in ("arbitrary", "continuous") and not (
                    laws in _NAMED_LAWS and v.startswith(_NAMED_LAWS[laws])):
                return False, f"the law {v} is not among {LAWS[laws]}"
    if "ties" in domain:
        rules = [v for k, v in _walk(cx) if k == "rounding"]
        if not rules:
            return False, "the witness does not say which tie rule it rounds with"
        out = [r for r in rules if r not in domain["ties"]]
        if out:
            return False, (f"it rounds ties {out[0].replace('_', '-')}, not a rule of the "
                           f"domain ({', '.join(domain['ties'])})")
    return True, "inside the domain"


# ---------------------------------------------------------------------------------------------
# real-model results


def load_experiment(path: Path) -> dict:
    """``{claim id: result}`` from ``experiment.json`` (``{"claims": {id: {outcome, statistic,
    value, ci, p, test, model}}}``); a malformed file raises one :class:`LaaciqError`."""
    doc = read_json(path, "real-model results", "rerun `make experiment` or remove the file")
    rows = doc.get("claims") if isinstance(doc, dict) else None
    if not isinstance(rows, dict):
        raise LaaciqError(f"real-model results {path} have no 'claims' object keyed by claim "
                          f"id: rerun `make experiment`")
    for cid, r in rows.items():
        if not isinstance(r, dict) or r.get("outcome") not in OUTCOMES or not isinstance(
                r.get("model"), str):
            raise LaaciqError(f"real-model results {path}, claim {cid!r}: needs an 'outcome' "
                              f"({', '.join(OUTCOMES)}) and a 'model' name: rerun "
                              f"`make experiment`")
    return rows


def _measured_basis(r: dict) -> str:
    parts = [f"{r['outcome']} on {r['model']}"]
    if r.get("statistic") is not None:
        parts.append(f"{r['statistic']} = {r.get('value')}")
    if r.get("ci") is not None:
        parts.append(f"CI {r['ci']}")
    if r.get("p") is not None:
        parts.append(f"p = {r['p']}")
    if r.get("test"):
        parts.append(str(r["test"]))
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# verdicts


def _basis_of(records: list[dict]) -> str:
    kinds = {r["kind"] for r in records}
    verified = [r["counterexample"].get("verified") for r in records
                if r["result"] == "refutation-verified" and r.get("counterexample")]
    if verified and kinds <= {"approximation"}:
        return f"measured error beyond the stated tolerance, re-verified ({verified[0]})"
    if verified and "refutation" in kinds and str(verified[0]).startswith("mpmath"):
        return f"counterexample re-verified ({verified[0]})"
    for k, label in (("refutation", "exact counterexample (Fractions)"),
                     ("property", "exact property checks"), ("exhaustive", "exhaustive grid"),
                     ("symbolic", "symbolic (SymPy/Z3)"),
                     ("approximation", "measured approximation"), ("arithmetic", "arithmetic")):
        if k in kinds:
            return label
    return "none"


def _error_of(records: list[dict]) -> str:
    """The measured error an approximation's passing checks state (their details)."""
    return "; ".join(r["detail"] for r in records if r["kind"] == "approximation" and
                     r.get("detail"))[:400]


def _evidence(claim: Claim, records, theorem_status, theorem_checks):
    """What decides ``claim``: its non-simulation records (those refuted outside the domain
    removed), the ``boundary`` (refutations whose witness lies outside the claim's domain), the
    in-domain refuting records, the checked refutation theorems with an in-domain witness, and
    the Lean status of its theorems."""
    recs = [records.get(c) or {"id": c, "kind": "property", "result": "error",
                               "detail": "no such check"} for c in claim.checks]
    recs = [r for r in recs if r["kind"] != "simulation"]
    status = {t: theorem_status.get(t, "missing") for t in claim.lean}
    boundary = []

    def in_domain(r):
        ok, why = witness_in_domain(claim.domain, r.get("counterexample"))
        if not ok:
            boundary.append({"check": r["id"], "why": why})
        return ok

    refuting = [r for r in recs if r["result"] == "refutation-verified" and in_domain(r)]
    outside = {b["check"] for b in boundary}
    recs = [r for r in recs if r["id"] not in outside]  # a witness outside decides nothing
    neg_checked = []
    for t, s in status.items():
        if s == "checked" and is_refutation(t):
            wit = [records[c] for c in theorem_checks.get(t, []) if c in records
                   and records[c]["result"] == "refutation-verified"
                   and records[c].get("counterexample")]  # symbolic proofs carry no witness
            if any(in_domain(r) for r in wit):
                neg_checked.append(t)
    return recs, boundary, refuting, neg_checked, status


def verdict(claim: Claim, records: dict[str, dict], theorem_status: dict[str, str],
            theorem_checks: dict[str, list[str]], experiment: dict | None = None) -> dict:
    """``{"verdict", "basis", "counterexample", "boundary", "measurement"}`` of one claim.

    ``records``: check id -> result record; ``theorem_status``: Lean name -> ``checked`` /
    ``written`` / ``failed``; ``theorem_checks``: Lean name -> its registry check ids;
    ``experiment``: claim id -> real-model result (``experiment.json``), if any.

    Refutations count only with a witness inside the claim's domain; a refutation outside it is
    returned in ``boundary`` and decides nothing. Simulation records never decide. The body is
    one ladder of cases read top to bottom (the order is the rule), ~80 lines.
    """
    recs, boundary, refuting, neg_checked, status = _evidence(claim, records, theorem_status,
                                                              theorem_checks)
    pos_checked = [t for t, s in status.items() if s == "checked" and not is_refutation(t)]
    failing = [r for r in recs if r["result"] == "fail"]
    exact_fail = [r for r in failing if r["kind"] in ("property", "exhaustive", "symbolic")]
    arith_fail = [r for r in failing if r["kind"] == "arithmetic"]
    passing = [r for r in recs if r["result"] == "pass"]

    def out(v, basis, cx=None, measurement=None):
        return {"verdict": v, "basis": basis, "counterexample": cx, "boundary": boundary,
                "measurement": measurement}

    def first_cx(rs):
        for r in sorted(rs, key=lambda r: (r["kind"] != "refutation", r["id"])):
            if r.get("counterexample"):
                return {"check": r["id"], **r["counterexample"]}
        return None

    if claim.kind == "definition":
        return out("definition", "definition")
    if claim.kind == "contradiction":
        against = refuting + failing
        if against or neg_checked:
            return out("inconsistent", "lean" if neg_checked and not against
                       else _basis_of(against), first_cx(refuting))
        if passing and len(passing) == len(recs):
            return out("holds", _basis_of(passing) + ": the two statements agree")
        return out("open", "no check decides it")
    if arith_fail:
        return out("inconsistent", "arithmetic: the seed's own numbers disagree ("
                   + ", ".join(r["id"] for r in arith_fail) + ")")
    if claim.about_real_models:
        m = (experiment or {}).get(claim.id)
        if m is not None:
            return out("measured", _measured_basis(m), measurement=m)
        return out("not-testable-here", claim.measure or "needs a real model: "
                   + MEASURE_DEFAULT)
    if refuting or neg_checked or exact_fail:
        basis = ("lean (checked refutation theorem)" if neg_checked and not refuting
                 else _basis_of(refuting or exact_fail))
        cx = first_cx(refuting or exact_fail)
        if cx is None and neg_checked:
            cx = {"lean": neg_checked[0]}
        return out("refuted", basis, cx)
    if claim.kind == "citation":
        return out("not-testable-here", "a citation: " + (claim.measure
                                                         or "check the cited paper"))
    if claim.kind in ("empirical", "prediction"):
        return out("not-testable-here", "needs data not here: " + (claim.measure
                                                                  or MEASURE_DEFAULT))
    bad = [r for r in recs if r["result"] in ("fail", "error")]
    if claim.kind == "conjecture" and not (passing and len(passing) == len(recs)):
        return out("open", "open: nothing here proves or refutes it" if not bad else
                   "open: no in-domain counterexample (" + ", ".join(r["id"] for r in bad)
                   + " found none)")
    if bad:
        return out("open", "a check failed or errored without an in-domain counterexample: "
                   + ", ".join(r["id"] for r in bad))
    proved = False
    if pos_checked:
        thm_recs = [records.get(c) for t in pos_checked for c in theorem_checks.get(t, [])]
        proved = bool(thm_recs) and all(r is not None and r["result"] in
                                        ("pass", "refutation-verified") for r in thm_recs)
    if not proved and not passing:
        return out("open", "no check decides it")
    if len(passing) != len(recs):  # some unknown: never a pass
        return out("open", "some checks are unknown")
    if claim.hypothesis:
        return out("holds-if", ("lean (checked) + numeric checks" if proved else
                                _basis_of(passing)) + f", under the hypothesis: "
                                                      f"{claim.hypothesis}")
    if proved:
        return out("proved", "lean (checked) + numeric checks")
    if claim.kind == "approximation":
        return out("approximate", _basis_of(passing) + (f" — {_error_of(passing)}"
                                                        if _error_of(passing) else ""))
    return out("holds", _basis_of(passing))


def corrected_status(claim: Claim, records: dict[str, dict], theorem_status: dict[str, str],
                     theorem_checks: dict[str, list[str]]) -> dict | None:
    """The corrected statement with its own computed verdict (``proved`` / ``holds`` / …),
    judged like a theorem in the claim's domain."""
    c = claim.corrected
    if not c:
        return None
    pseudo = dataclasses.replace(claim, kind="theorem", lean=tuple(c.get("lean", ())),
                                 checks=tuple(c.get("checks", ())), hypothesis="",
                                 corrected=None)
    v = verdict(pseudo, records, theorem_status, theorem_checks)
    return {"statement": c["statement"], "verdict": v["verdict"], "basis": v["basis"],
            "lean": [{"decl": t, "status": theorem_status.get(t, "missing")}
                     for t in c.get("lean", ())],
            "checks": [{"id": i, "result": records[i]["result"] if i in records else "error",
                        "kind": records[i]["kind"] if i in records else "property"}
                       for i in c.get("checks", ())]}
