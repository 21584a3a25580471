"""The one parameter set of the exact solver (``PROOF.md`` §7, *Engines and parameters*).

Every engine reads its tuning constants from :data:`PARAMS` — the numpy engine, the compiled
(numba) engine, the streaming path and the weighted and output engines. None of these values
affects *what* is returned (every engine is exact for any value); they trade bounding work
against scanning work and bound memory. The numpy modules read ``params.PARAMS`` at each call
(a test may swap in ``dataclasses.replace(PARAMS, ...)``); the compiled kernels read it at
import (numba treats module globals as compile-time constants).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SolverParams:
    """Tuning constants (sizes in values or breakpoints; see each field)."""

    # streaming and blocking (numpy engine and streaming path)
    chunk: int = 1 << 18            #: values per streaming chunk
    big: int = 1 << 18              #: one tensor larger than this takes the streaming path
    row_block: int = 1 << 18        #: values per block of rows
    trans_block: int = 1 << 20      #: breakpoints generated at once
    # branch and bound (both engines)
    start_intervals: int = 16       #: initial s-intervals per row
    split: int = 4                  #: each surviving interval is split in this many
    max_rounds: int = 14            #: branch-and-bound rounds at most
    # numpy engine: when a row stops splitting
    dear: float = 1.0               #: next round costs more than this share of the scan it saves
                                    #  (measured: flat between 0.5 and 2)
    budget: float = 0.25            #: fewer breakpoints left per value than this
    numpy_wmax: float = 2.0         #: scanned sub-interval spans L·log(s2/s1) ≤ this
    near_cap: int = 1024            #: near-best pieces kept per interval by the scan
    row_cap: int = 256              #: near-best pieces evaluated exactly per slice
    # compiled engine
    final: float = 1.0              #: scan an interval once scanning costs < final × bounding
    scan_ns: float = 15.0           #: cost of one breakpoint scanned (ns, measured)
    compiled_cap: int = 64          #: near-best pieces kept per row
    compiled_wmax: float = 8.0      #: a scanned run spans L·log(s2/s1) ≤ this
    #: Above this many bits "auto" takes the numpy engine for the true MSE. Measured on 64
    #: MiniLM-L6 rows of 384 values, per channel: compiled/numpy 0.08/0.60 s at 12 bits,
    #: 0.71/2.25 s at 14, 3.5/5.0 s at 15, 17.9/10.7 s at 16 (the kernel's interval budget runs
    #: out before its bounds, which need intervals of relative width ~1/L, prune near the
    #: optimum, and it scans 3x more breakpoints).
    compiled_max_bits: int = 15
    # weighted objective (numpy engine)
    weighted_events: int = 1 << 21  #: values × levels per block of rows
    # output objective: mixed tie choices enumerated where at most this many values tie at one
    # breakpoint (2^T choices; beyond, counted in the stats as not enumerated)
    output_tie_enum: int = 12
    #: the output scan's running sums are recomputed (O(n²)) every this many × n breakpoints
    #: (each breakpoint costs O(n): the recomputations cost 1/output_reset of the scan)
    output_reset: int = 4


#: The parameter set every engine reads.
PARAMS = SolverParams()
