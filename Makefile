# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench install clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The project is installed as a regular (not editable) package: setuptools warns about
# every editable mode, and a new user should see only the product. It is reinstalled
# whenever a file of the package changes, so `.venv/bin/chargeback` is always this checkout.
SOURCES := $(shell find reports templates config -type f ! -name '*.pyc' 2>/dev/null)

$(STAMP): pyproject.toml $(SOURCES) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet '.[test]'
	rm -rf build
	touch $(STAMP)

install: $(STAMP)

# The tests read the outputs back with real programs: pdftotext/pdftoppm for the PDF,
# LibreOffice Calc for the workbook, hledger (a double-entry engine) for the journal.
system-deps:
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v soffice >/dev/null && \
	  command -v hledger >/dev/null || \
	  { echo "installing poppler-utils, libreoffice-calc-nogui and hledger (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils \
	      libreoffice-calc-nogui hledger; }

demo: $(STAMP)
	$(BIN)/chargeback run --demo

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf $(VENV) output/*/ build *.egg-info
