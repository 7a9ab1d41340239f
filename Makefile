# Every target installs what it needs into .venv first; run any of them on a
# fresh clone. A second run reuses the venv and reinstalls only when
# pyproject.toml or constraints.txt has changed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BOOK_FLAGS := -W -n --keep-going
# Extra options for `make lab`, e.g. make lab LAB_ARGS=--no-browser
LAB_ARGS ?=
# JupyterLab refuses to run as root (containers, CI machines) unless told to.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help book test execute lab pdf bench clean

help:
	@echo "make book     build the HTML book into _build/html (sets up .venv)"
	@echo "make test     run every test: unit, nbval and figures over chapters/, strict"
	@echo "              book build, the book in a headless browser (needs chromium)"
	@echo "make execute  re-run every chapter notebook in place (after editing one)"
	@echo "make lab      open the chapters in JupyterLab, with cnnlib installed"
	@echo "make pdf      the whole book as one PDF in _build/pdf/ (needs chromium)"
	@echo "make bench    performance comparison tables (benchmarks/)"
	@echo "make clean    remove _build/ (keeps .venv)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || \
	  { echo "error: need Python >= 3.10 as '$(PYTHON)' (found: $$($(PYTHON) --version 2>&1)); try 'make PYTHON=python3.11 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# One stamp per extra: touched after a successful install, older than
# pyproject.toml means "reinstall".
$(VENV)/.installed-%: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[$*]'
	@touch $@

book: $(VENV)/.installed-book
	$(VENV)/bin/jupyter-book build . --quiet $(BOOK_FLAGS)
	@echo
	@echo "Book built. Open this page in a browser (it works offline):"
	@echo "  file://$(CURDIR)/_build/html/index.html"

# nbval compares every text output (tests/nbval_sanitize.cfg masks what
# genuinely varies); conftest.py compares every figure in the same run.
test: $(VENV)/.installed-test
	$(PY) -m pytest tests $(wildcard chapters) --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg

execute: $(VENV)/.installed-dev
	$(PY) tools/execute_notebooks.py chapters

lab: $(VENV)/.installed-lab
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
	  --LabApp.default_url=/lab/tree/chapters $(LAB_ROOT) $(LAB_ARGS)

pdf: $(VENV)/.installed-book
	$(PY) tools/make_pdf.py

bench: $(VENV)/.installed-test
	-@$(PY) -c 'import torch' 2>/dev/null || \
	  $(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0 || \
	  echo "PyTorch not installable here: its column will be skipped."
	$(PY) benchmarks/run.py

clean:
	rm -rf _build
