"""Verification (layer 4: may import ``theory`` and ``tensor``; needs the ``verify`` extra).

``lean`` runs the Lean checker and scans ``LaAciq/``; ``registry`` maps each Lean theorem to its
numeric checks, read from the theorems each check names where it is registered; ``checks/``
holds those checks (properties, refutations, approximations, the
seeds' arithmetic, the simulation) and the exact re-verification; ``symbolic`` the SymPy/Z3 tier;
``claims`` (with ``data/claims.json``) the ledger of the seeds' claims and their verdicts;
``harness`` runs it all into the ``status.json`` document (schema ``data/status.schema.json``).
"""
