"""The one registry of numeric cross-checks.

A *check* is a function that returns a result record::

    {"id", "kind", "result", "examples", "seconds", "detail", "statement", "counterexample"?}

* ``kind`` — ``property`` (Hypothesis, on the exact Fraction reference), ``exhaustive`` (a small
  deterministic grid), ``refutation`` (a search for a counterexample to a seed claim, shrunk,
  then re-verified exactly), ``approximation`` (a measured worst error over a stated family),
  ``arithmetic`` (a seed's own numbers recomputed), ``simulation`` (the synthetic model of
  ``calibration.synthetic_example``), ``symbolic`` (SymPy/Z3, ``symbolic.run_all``) and ``lean``
  (the compiler's verdict, added by the harness);
* ``result`` — ``pass``, ``fail``, ``refutation-verified``, ``unknown`` or ``error``. A
  refutation whose counterexample does not survive exact re-verification is an ``error``, never
  a refutation; ``unknown`` is never a pass.

Checks are registered with :func:`check` and run with :func:`run_checks`. A check names the Lean
theorems (short names in namespace ``LaAciq``) whose conclusions it tests: ``theorems=(…)`` in
its registration; ``registry`` builds theorem → checks from these and nothing else. Every check takes a
:class:`Budget` (how many Hypothesis examples; ``quick`` runs use fewer) and must be
deterministic: the same code gives the same record except ``seconds``.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from typing import Callable

__all__ = ["KINDS", "RESULTS", "Budget", "Check", "CHECKS", "check", "run_checks", "outcome",
           "load_all", "theorem_names"]

#: Kinds of check, in the order the report lists them.
KINDS = ("lean", "property", "exhaustive", "symbolic", "refutation", "approximation",
         "arithmetic", "simulation")
#: Results a check can have.
RESULTS = ("pass", "fail", "refutation-verified", "unknown", "error")


@dataclasses.dataclass(frozen=True)
class Budget:
    """How hard the checks try: Hypothesis ``max_examples`` for properties and searches."""

    examples: int = 120
    search: int = 300
    quick: bool = False

    @classmethod
    def for_run(cls, quick: bool) -> Budget:
        return cls(examples=25, search=120, quick=True) if quick else cls()


@dataclasses.dataclass(frozen=True)
class Check:
    """A registered check: ``fn(budget) -> outcome dict`` plus its identity."""

    id: str
    kind: str
    statement: str
    fn: Callable[[Budget], dict]
    #: The Lean theorems (short names in namespace ``LaAciq``) whose conclusions it tests.
    theorems: tuple[str, ...] = ()


#: The modules that register checks.
_MODULES = ("properties", "finite_laws", "refutations", "optimal", "approximations",
            "arithmetic", "simulation", "laws", "output", "grids", "scalar")

#: Every registered check by id (filled by the check modules on import; see :func:`load_all`).
CHECKS: dict[str, Check] = {}


def check(id: str, kind: str, statement: str, theorems: tuple[str, ...] = ()):
    """Register ``fn(budget) -> outcome`` as check ``id``, covering the Lean ``theorems``."""
    if kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}: choose one of {', '.join(KINDS)}")
    theorems = theorem_names(theorems, id)

    def deco(fn):
        if id in CHECKS:
            raise ValueError(f"check id {id!r} is registered twice")
        CHECKS[id] = Check(id, kind, statement, fn, theorems)
        return fn

    return deco


def theorem_names(theorems, owner: str) -> tuple[str, ...]:
    """``theorems`` as a tuple of distinct names (a bare string is refused: it is one name
    mistyped as many)."""
    if isinstance(theorems, str) or not all(isinstance(t, str) and t for t in theorems):
        raise ValueError(f"{owner}: theorems must be a tuple of names, got {theorems!r}")
    if len(set(theorems)) != len(theorems):
        raise ValueError(f"{owner}: a theorem is named twice in {theorems!r}")
    return tuple(theorems)


def outcome(result: str, detail: str, examples: int = 0, counterexample: dict | None = None
            ) -> dict:
    """The part of a record a check function returns."""
    if result not in RESULTS:
        raise ValueError(f"unknown result {result!r}: choose one of {', '.join(RESULTS)}")
    out = {"result": result, "detail": detail, "examples": int(examples)}
    if counterexample is not None:
        out["counterexample"] = counterexample
    return out


def _run_one(c: Check, budget: Budget) -> dict:
    t0 = time.perf_counter()
    try:
        out = c.fn(budget)
    except Exception as exc:  # a record, not a crash: the report shows it
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {tb[-1].name}:{tb[-1].lineno}" if tb else ""
        out = outcome("error", f"{type(exc).__name__}: {exc}{where}")
    rec = {"id": c.id, "kind": c.kind, "statement": c.statement, "result": out["result"],
           "examples": int(out.get("examples", 0)),
           "seconds": round(time.perf_counter() - t0, 3), "detail": out["detail"]}
    if out.get("counterexample") is not None:
        rec["counterexample"] = out["counterexample"]
    return rec


def load_all() -> dict[str, Check]:
    """Import every check module (registering its checks) and return :data:`CHECKS`."""
    import importlib
    for m in _MODULES:
        importlib.import_module(f"{__name__}.{m}")
    return CHECKS


def run_checks(ids=None, budget: Budget | None = None, log=None) -> list[dict]:
    """Run the registered checks (all, or ``ids``) and return their records, sorted by id."""
    load_all()
    budget = budget or Budget()
    chosen = sorted(CHECKS) if ids is None else sorted(set(ids))
    unknown = [i for i in chosen if i not in CHECKS]
    if unknown:
        from laaciq.errors import LaaciqError
        raise LaaciqError(f"unknown check id(s) {', '.join(unknown)}: see laaciq.verify.checks.CHECKS")
    out = []
    for i in chosen:
        rec = _run_one(CHECKS[i], budget)
        if log:
            log(f"check {rec['id']}: {rec['result']} ({rec['seconds']:.2f} s)")
        out.append(rec)
    return out
