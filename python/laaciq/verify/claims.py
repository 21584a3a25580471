"""The claims ledger (``data/claims.json``) and the verdict computed for each claim.

Every claim of the five seed documents is one entry: ``id``, ``seed`` (file name), ``quote`` (a
verbatim substring of that seed), ``kind``, ``scope``, ``lean`` (theorem names), ``checks`` (check
ids) and ``note`` (the corrected statement, where there is one). The ledger holds **no verdict**:
:func:`verdict` computes it in every run from the checks' results and the Lean build.

Verdicts, in the order they are decided:

* ``definition`` — a definition (nothing to be true or false);
* ``inconsistent`` — a ``contradiction`` entry whose checks show the two statements disagree, or
  any claim whose own arithmetic check fails;
* ``refuted`` — a counterexample re-verified exactly (a check with ``refutation-verified``), or
  a checked Lean theorem proving the negation (``claim_…_false`` / ``not_…``), or an exact
  (Fraction) property check that fails;
* ``empirical-unverifiable`` — empirical numbers and citations (need models and data not here),
  predictions about real models, and modelling claims no check decides;
* ``conjecture`` — a conjecture nothing refutes;
* ``proved`` — a linked Lean theorem is checked and every numeric check of the claim and of that
  theorem passes;
* ``approximate`` — an ``approximation`` claim whose measured error is within its stated
  tolerance;
* ``holds`` — the checks pass (numerically, symbolically, by simulation or arithmetic) without a
  checked Lean proof.

``unknown`` and ``error`` results never count as a pass.
"""

from __future__ import annotations

import dataclasses
import os
from importlib import resources
from pathlib import Path

from laaciq.errors import LaaciqError
from laaciq.io import read_json
from laaciq.verify.registry import is_refutation

__all__ = ["KINDS", "VERDICTS", "Claim", "load", "default_path", "seeds_dir", "check_quotes",
           "verdict"]

#: Kinds of claim.
KINDS = ("definition", "theorem", "approximation", "conjecture", "empirical", "prediction",
         "arithmetic", "citation", "contradiction", "modelling")
#: Verdicts, in the order the report lists them.
VERDICTS = ("proved", "holds", "approximate", "refuted", "inconsistent", "conjecture",
            "empirical-unverifiable", "definition")

_FIELDS = {"id": str, "seed": str, "quote": str, "kind": str, "scope": str, "lean": list,
           "checks": list, "note": str}


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str
    seed: str
    quote: str
    kind: str
    scope: str
    lean: tuple
    checks: tuple
    note: str


def default_path() -> Path:
    """``laaciq/data/claims.json`` inside the installed package."""
    return Path(str(resources.files("laaciq.verify") / "data" / "claims.json"))


def seeds_dir(root: Path | None = None) -> Path:
    """The seed documents: ``$LAACIQ_SEEDS``, else ``../shared/seeds`` beside the project root."""
    env = os.environ.get("LAACIQ_SEEDS")
    if env:
        return Path(env)
    root = Path(root) if root else Path(__file__).resolve().parents[3]
    return (root / ".." / "shared" / "seeds").resolve()


def load(path: Path | None = None) -> list[Claim]:
    """Read and validate the ledger; every problem raises one :class:`LaaciqError` naming the
    entry, the field and the fix."""
    path = Path(path) if path else default_path()
    doc = read_json(path, "claims ledger", "reinstall the package (`make setup`) or pass the "
                    "right path")
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        raise LaaciqError(f"claims ledger {path} must be an object with a list 'claims'")
    out, seen = [], set()
    for i, entry in enumerate(doc["claims"]):
        where = f"claims ledger {path.name}, entry {i}"
        if not isinstance(entry, dict):
            raise LaaciqError(f"{where} must be an object, got {type(entry).__name__}")
        if "verdict" in entry:
            raise LaaciqError(f"{where} ({entry.get('id')!r}) has a 'verdict' field: verdicts "
                              f"are computed, remove it")
        missing = [k for k in _FIELDS if k not in entry]
        if missing:
            raise LaaciqError(f"{where} ({entry.get('id')!r}) lacks field(s) "
                              f"{', '.join(missing)}: every entry needs {', '.join(_FIELDS)}")
        extra = sorted(set(entry) - set(_FIELDS))
        if extra:
            raise LaaciqError(f"{where} ({entry['id']!r}) has unknown field(s) "
                              f"{', '.join(extra)}: allowed are {', '.join(_FIELDS)}")
        for k, t in _FIELDS.items():
            if not isinstance(entry[k], t):
                raise LaaciqError(f"{where} ({entry.get('id')!r}): field {k!r} must be a "
                                  f"{t.__name__}, got {type(entry[k]).__name__}")
        for k in ("lean", "checks"):
            if not all(isinstance(x, str) and x for x in entry[k]):
                raise LaaciqError(f"{where} ({entry['id']!r}): {k!r} must list non-empty names")
        if entry["kind"] not in KINDS:
            raise LaaciqError(f"{where} ({entry['id']!r}): unknown kind {entry['kind']!r}: "
                              f"choose one of {', '.join(KINDS)}")
        if not entry["id"] or entry["id"] in seen:
            raise LaaciqError(f"{where}: id {entry['id']!r} is empty or repeated: ids must be "
                              f"unique")
        if not entry["quote"].strip():
            raise LaaciqError(f"{where} ({entry['id']!r}): quote is empty")
        seen.add(entry["id"])
        out.append(Claim(entry["id"], entry["seed"], entry["quote"], entry["kind"],
                         entry["scope"], tuple(entry["lean"]), tuple(entry["checks"]),
                         entry["note"]))
    return out


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
# verdicts


def _basis_of(records: list[dict]) -> str:
    kinds = {r["kind"] for r in records}
    verified = [r["counterexample"].get("verified") for r in records
                if r["result"] == "refutation-verified" and r.get("counterexample")]
    if verified and kinds <= {"approximation"}:
        return f"measured error beyond the stated tolerance, re-verified ({verified[0]})"
    if verified and kinds == {"simulation"}:
        return (f"simulation (synthetic model, not a real model), re-verified "
                f"({verified[0]})")
    if verified and "refutation" in kinds and str(verified[0]).startswith("mpmath"):
        return f"counterexample re-verified ({verified[0]})"
    if kinds == {"simulation"}:
        return "simulation (synthetic model, not a real model)"
    for k, label in (("refutation", "exact counterexample (Fractions)"), ("property", "exact property checks"),
                     ("exhaustive", "exhaustive grid"), ("symbolic", "symbolic (SymPy/Z3)"),
                     ("approximation", "measured approximation"), ("arithmetic", "arithmetic"),
                     ("simulation", "simulation (synthetic model, not a real model)")):
        if k in kinds:
            return label
    return "none"


def verdict(claim: Claim, records: dict[str, dict], theorem_status: dict[str, str],
            theorem_checks: dict[str, list[str]]) -> dict:
    """``{"verdict", "basis", "counterexample"}`` of one claim.

    ``records``: check id -> result record; ``theorem_status``: Lean name -> ``checked`` /
    ``written`` / ``failed``; ``theorem_checks``: Lean name -> its registry check ids.
    """
    recs = [records.get(c) or {"id": c, "kind": "property", "result": "error",
                               "detail": "no such check"} for c in claim.checks]
    status = {t: theorem_status.get(t, "missing") for t in claim.lean}
    neg_checked = [t for t, s in status.items() if s == "checked" and is_refutation(t)]
    pos_checked = [t for t, s in status.items() if s == "checked" and not is_refutation(t)]
    refuting = [r for r in recs if r["result"] == "refutation-verified"]
    failing = [r for r in recs if r["result"] == "fail"]
    exact_fail = [r for r in failing if r["kind"] in ("property", "exhaustive", "symbolic")]
    arith_fail = [r for r in failing if r["kind"] == "arithmetic"]
    passing = [r for r in recs if r["result"] == "pass"]

    def out(v, basis, cx=None):
        return {"verdict": v, "basis": basis, "counterexample": cx}

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
            return out("holds", _basis_of(passing))
        return out("empirical-unverifiable", "none")
    if arith_fail:
        return out("inconsistent", "arithmetic")
    if refuting or neg_checked or exact_fail:
        basis = ("lean (checked refutation theorem)" if neg_checked and not refuting
                 else _basis_of(refuting or exact_fail))
        cx = first_cx(refuting or exact_fail)
        if cx is None and neg_checked:
            cx = {"lean": neg_checked[0]}
        return out("refuted", basis, cx)
    if claim.kind in ("empirical", "citation"):
        return out("empirical-unverifiable", "needs models or data not here")
    if claim.kind == "conjecture":
        return out("conjecture", "open")
    bad = [r for r in recs if r["result"] in ("fail", "error")]
    if claim.kind == "prediction":
        if recs and not bad and passing and len(passing) == len(recs):
            return out("holds", _basis_of(passing))
        return out("empirical-unverifiable", "needs models or data not here"
                   if not recs else "no check decides it")
    if bad:
        return out("empirical-unverifiable", "a check failed or errored without a verified "
                   "counterexample: " + ", ".join(r["id"] for r in bad))
    if pos_checked:
        thm_recs = [records.get(c) for t in pos_checked for c in theorem_checks.get(t, [])]
        if all(r is not None and r["result"] in ("pass", "refutation-verified")
               for r in thm_recs) and thm_recs:
            return out("proved", "lean (checked) + numeric checks")
    if not passing:
        return out("empirical-unverifiable" if claim.kind == "modelling" else "conjecture",
                   "no check decides it")
    if len(passing) != len(recs):  # some unknown: never a pass
        return out("empirical-unverifiable", "some checks are unknown")
    if claim.kind == "approximation":
        return out("approximate", _basis_of(passing))
    return out("holds", _basis_of(passing))
