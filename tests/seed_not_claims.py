"""Lines of the seeds that contain a number, a formula sign or a status word but make no claim.

Reviewed by eye: each entry is ``(seed prefix, the line stripped, why it is not a claim)``.
``tests/test_seed_coverage.py`` fails on any claim-bearing seed line that is neither quoted by a
ledger claim nor listed here, and on an entry here that no longer matches a seed line.
"""

NOT_CLAIMS = [
    # --- headings and labels whose statement is quoted right below them
    ("001", "## ACIQ Framework (Banner 2019)", "section heading; the attribution is S000-banner-citation / S004-banner-derived"),
    ("002", "### 1.2 Background: ACIQ (Banner et al. 2019)", "section heading; the attribution is S002-citation-banner"),
    ("002", "**Definition 1 (Effective Kurtosis):**", "label; the definition is S002-kappa-eff"),
    ("002", "**Definition 2 (Representation Redundancy):**", "label; the definition is S002-redundancy"),
    ("002", "**Proposition 1 (Language-Aware Clipping):**", "label; the statement is S002-proposition-1"),
    ("002", "**Definition 3 (Disparity):**", "label; the definition is S002-disparity-def"),
    ("002", "**Conjecture 1 (Disparity Bound):**", "label; the statement is S002-conjecture-1"),
    ("003", "# LA-ACIQ v2: Refined Theory", "document title"),
    ("003", "### 3.3 mT5 Prediction", "section heading; the prediction is S003-mt5-prediction"),
    ("004", "| Theorem | Statement | Status |", "table header; every row is a claim"),
    ("004", "### Theorems (sorry)", "table heading; every row carries its own `sorry` and is a claim"),
    ("004", "### T-009: Kurtosis-Degradation Correlation", "section heading; the value is S004-t009-detail"),
    ("004", "### T-010: Rate-Distortion Slope", "section heading; the value is S004-t010-value"),
    # --- questions, plans and to-dos: they assert nothing
    ("002", "5. **Scale:** Does the pattern hold at 7B, 70B, 176B?", "an open question"),
    ("003", "**Testable:** Extract mT5 activation patterns, compute correlation.", "a to-do"),
    ("003", "**Test:** EXP-009 bit-width sweep (needs GPU)", "a to-do"),
    ("003", "1. **Compare BLOOM/XGLM configs** → understand why outliers form", "next step (a plan)"),
    ("003", "2. **Bit-width sweep** → validate threshold prediction", "next step (a plan)"),
    ("003", "3. **Survey more models** → test screening prediction", "next step (a plan)"),
    ("003", "4. **Training data analysis** → test data volume correlation", "next step (a plan)"),
    ("004", "1. **Complete MSE convexity proof** → establishes optimization is well-posed", "a plan (the convexity itself is S004-mse-convex)"),
    ("004", "2. **Prove monotonicity** → justifies kurtosis-based reasoning", "a plan (monotonicity is S004-monotonicity)"),
    ("004", "3. **Derive C from first principles** → removes circular validation", "a plan"),
    ("004", "4. **Real GPU experiments** → breaks simulation circularity", "a plan"),
    # --- the documents about themselves
    ("003", "v1 established the framework. v2 adds:", "revision note"),
    ("003", "| Aspect | v1 | v2 |", "changelog table header"),
    ("003", "| Cross-model | BLOOM only | Predictions for XGLM, mT5 |", "changelog row: the predictions are claims of §3"),
    ("003", "| Testability | Vague | 4 specific predictions |", "changelog row: §5.1-5.4 are the four predictions, each a claim"),
    ("003", "| XGLM null | Unexplained | C1 failure (no outliers) |", "changelog row: the explanation is S003-xglm-c1"),
    ("003", "*LA-ACIQ v2 — 2026-01-03*", "date line"),
    ("003", "3. How large weights are (σ²)", "names a factor of the informal theorem S003-informal-theorem"),
    # --- reference list entries no statement of the text relies on
    ("002", "2. Chmiel, B., et al. (2025). Scaling FP8 training to trillion-token LLMs.", "reference entry, cited by no statement"),
    ("002", "4. Soudry, D., et al. (2018). The implicit bias of gradient descent on", "reference entry, cited by no statement"),
]
