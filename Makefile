# The README's commands. Each target installs what it needs on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
UV := $(VENV)/bin/uv
BENCH_VENV := .venv-bench
BENCH_PYTHON := $(BENCH_VENV)/bin/python
TRAIN_VENV := .venv-train
TRAIN_PYTHON := $(TRAIN_VENV)/bin/python
# Lambda's Python (stacks/lambda_python.py): what the artifact tests and ARTIFACT=1 run under.
LAMBDA_PYTHON_VERSION := $(shell sed -n 's/^LAMBDA_PYTHON_VERSION = "\(.*\)"$$/\1/p' stacks/lambda_python.py)
# Looked up once per make run (an empty value: none found; `make lambda-python` says how to get one).
ifeq ($(origin LAMBDA_PYTHON),undefined)
LAMBDA_PYTHON := $(shell python3 -m tools.lambda_interpreter 2>/dev/null)
endif
export LAMBDA_PYTHON
CDK := npx --no-install cdk
ENV ?= dev
REQUESTS ?= 1000000
DURATION_MS ?= 50

# Functions import as packages named after their folder (mask_predictor.handler...).
export PYTHONPATH := $(CURDIR)/functions:$(CURDIR)
# Node 20 is end-of-life for jsii; the warning banner would bury the real output.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

SOURCES := app.py cdk.json $(shell find stacks functions -type f -not -path '*/__pycache__/*' 2>/dev/null)

.PHONY: help setup lambda-python lock lock-upgrade synth synth-diff lint test bench train-mask sentiment-fixture sentiment-export batch-fixtures batch-local-s3 invoke serve load deploy diff destroy clean

help:
	@echo "make synth   [ENV=dev|prod] [REQUESTS=n] [DURATION_MS=ms]  synthesize every stack, cdk-nag, size and cost table"
	@echo "make synth-diff [BASE=<git ref>] [ENV=dev|prod|all] [FAIL_ON=security|replacement]  per-stack diff of BASE (default: merge base with main) vs the working tree; report in cdk.out.diff/synth-diff.md"
	@echo "make lint                                                  ruff (format check, lint) and mypy, as pyproject.toml configures them"
	@echo "make test                                                  make lint, then all tests (no AWS, no Docker; needs CPython $(LAMBDA_PYTHON_VERSION))"
	@echo "make lock    / make lock-upgrade                           recompile the dependency locks from requirements*.in"
	@echo "make invoke  FN=<folder> EVENT=<file> [ENV=dev] [ARTIFACT=1]  run a handler locally with its stack's environment (ARTIFACT=1: the built artifact under Lambda's Python)"
	@echo "make serve   [ENV=dev] [ARTIFACT=1] [SERVE_HTTP_PORT= SERVE_LAMBDA_PORT= SERVE_S3_PORT=] [SERVE_ARGS=]  all four functions on 127.0.0.1 (Ctrl-C stops; ARTIFACT=1: what ships, under Lambda's Python)"
	@echo "make load    [ENV=dev]                                     load test against a local server; figures in benchmarks/results/local_load.md"
	@echo "make bench                                                 benchmarks, figures in benchmarks/results/"
	@echo "make train-mask                                            retrain the mask predictor's CRF"
	@echo "make train-checkbox                                        train the checkbox YOLOv8n on synthetic forms (2-core CPU: ~55 min): models/checkbox/, parity fixtures"
	@echo "make sentiment-export MODEL=<hf id or dir> [OUT=dir]      export a sentiment model to ONNX (int8), validated"
	@echo "make sentiment-fixture                                     rebuild the tiny committed sentiment test model"
	@echo "make batch-fixtures                                        rebuild the batch predictor's demo models and sample CSV"
	@echo "make batch-local-s3 [S3=http://127.0.0.1:5000]            seed a local S3 for make invoke FN=batch_predict"
	@echo "make deploy  STACK=<stack> [ENV=dev]                       cdk deploy one stack (shows account/region first)"

# Every install is a lock with hashes (requirements/*.txt, compiled by `make lock` from the
# *.in files). pip and uv come first from requirements/uv.txt; then uv makes .venv exactly the
# development lock (anything else is removed), so the tests cannot import what it lacks.
$(VENV)/.installed: requirements/uv.txt requirements/dev.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/uv.txt
	$(UV) pip sync --quiet --python $(PYTHON) --require-hashes requirements/dev.txt requirements/uv.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

cdk.out/.synth-$(ENV): $(VENV)/.installed node_modules/.installed $(SOURCES)
	rm -f cdk.out/.synth-*
	$(CDK) synth --quiet -c env=$(ENV)
	touch $@

synth: cdk.out/.synth-$(ENV)
	$(PYTHON) -m tools.synth_report --cdk-out cdk.out --requests $(REQUESTS) --duration-ms $(DURATION_MS)

# Synthesizes BASE in a temporary git worktree and the working tree, both with the pinned CLI
# and this .venv; security-relevant changes first (python -m tools.synth_diff --help). No AWS.
synth-diff: setup
	$(PYTHON) -m tools.synth_diff --env $(ENV) $(if $(BASE),--base $(BASE)) $(if $(FAIL_ON),--fail-on $(FAIL_ON))

# Formatter, linter and type checker as configured in pyproject.toml; make test runs it first.
lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: setup lambda-python lint
	$(PYTHON) -m pytest

# Export tooling and benchmarks need torch + transformers (CPU): a virtualenv of their own from
# one lock (requirements/bench.txt, the development lock's versions plus the export set), so
# nothing of it reaches make test. pip, not uv, installs it: pip finds torch's CPU build where
# these machines keep it (the lock holds that build's hash); uv would fetch PyPI's CUDA build.
# pip does not remove what a lock dropped, so the virtualenv is made anew when a lock changes.
$(BENCH_VENV)/.installed: requirements/uv.txt requirements/bench.txt
	rm -rf $(BENCH_VENV)
	python3 -m venv $(BENCH_VENV)
	$(BENCH_PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/uv.txt
	$(BENCH_PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/bench.txt
	touch $@

# The checkbox detector's training (torch + ultralytics, AGPL-3.0): a virtualenv of its own from
# requirements/train-checkbox.txt, made anew when a lock changes, as the benchmarks' above.
$(TRAIN_VENV)/.installed: requirements/uv.txt requirements/train-checkbox.txt
	rm -rf $(TRAIN_VENV)
	python3 -m venv $(TRAIN_VENV)
	$(TRAIN_PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/uv.txt
	$(TRAIN_PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/train-checkbox.txt
	touch $@

lambda-python:
	@python3 -m tools.lambda_interpreter > /dev/null

# Recompiles every lock whose inputs changed (requirements/*.in, functions/*/requirements.in,
# the exclusion lists); lock-upgrade takes the newest versions the inputs allow.
lock: $(VENV)/.installed
	$(PYTHON) -m tools.locks compile

lock-upgrade: $(VENV)/.installed
	$(PYTHON) -m tools.locks compile --upgrade

# The checkbox benchmark compares the function with ultralytics' own predict (its training venv).
bench: setup lambda-python $(BENCH_VENV)/.installed $(TRAIN_VENV)/.installed
	$(BENCH_PYTHON) -m benchmarks.artifacts --lambda-python $(LAMBDA_PYTHON)
	$(BENCH_PYTHON) -m benchmarks.mask_predictor
	$(BENCH_PYTHON) -m benchmarks.sentiment
	$(BENCH_PYTHON) -m benchmarks.checkbox --ultralytics-python $(TRAIN_PYTHON)
	$(BENCH_PYTHON) -m benchmarks.batch_predict

train-mask: setup
	$(PYTHON) -m training.mask_predictor.train

# Synthetic forms -> YOLOv8n from scratch on the CPU -> models/checkbox/ (model.onnx, model card,
# metrics) and fixtures/checkbox/parity/; nothing is downloaded (training/checkbox/README.md).
.PHONY: train-checkbox
train-checkbox: $(TRAIN_VENV)/.installed
	$(TRAIN_PYTHON) -m training.checkbox.train

sentiment-fixture: $(BENCH_VENV)/.installed
	$(BENCH_PYTHON) -m training.sentiment.build_fixture

sentiment-export: $(BENCH_VENV)/.installed
	@test -n "$(MODEL)" || { echo "usage: make sentiment-export MODEL=<Hugging Face id or local dir> [OUT=models/sentiment]" >&2; exit 2; }
	$(BENCH_PYTHON) -m training.sentiment.export_onnx --model $(MODEL) --output $(or $(OUT),models/sentiment)

batch-fixtures: setup
	$(PYTHON) -m training.batch_predict.build_fixtures

batch-local-s3: setup
	$(PYTHON) -m training.batch_predict.local_s3 --endpoint-url $(or $(S3),http://127.0.0.1:5000)

invoke: cdk.out/.synth-$(ENV) $(if $(ARTIFACT),lambda-python)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<folder under functions/> EVENT=<event.json>" >&2; exit 2; }
	@$(PYTHON) -m tools.invoke --function $(FN) --event $(EVENT) --cdk-out cdk.out $(if $(ARTIFACT),--artifact --lambda-python $(LAMBDA_PYTHON))

# The functions on loopback: Invoke API :3001, HTTP routes :3000, S3 :4566 (python -m tools.serve --help).
serve: cdk.out/.synth-$(ENV) $(if $(ARTIFACT),lambda-python)
	$(PYTHON) -m tools.serve --cdk-out cdk.out $(if $(ARTIFACT),--artifact --lambda-python $(LAMBDA_PYTHON)) $(SERVE_ARGS)

# Starts its own server on free ports: 5,000 mask + 500 sentiment requests; any error exits 1.
load: cdk.out/.synth-$(ENV)
	$(PYTHON) -m benchmarks.load --cdk-out cdk.out

deploy: setup
	@test -n "$(STACK)" || { echo "usage: make deploy STACK=<stack, e.g. MaskPredictor-$(ENV)>" >&2; exit 2; }
	$(CDK) deploy $(STACK) -c env=$(ENV)

diff: setup
	$(CDK) diff --all -c env=$(ENV)

destroy: setup
	@test -n "$(STACK)" || { echo "usage: make destroy STACK=<stack>" >&2; exit 2; }
	$(CDK) destroy $(STACK) -c env=$(ENV)

clean:
	rm -rf cdk.out cdk.out.diff .pytest_cache
