# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench install clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# pdftotext/pdftoppm read the PDFs back in the tests.
system-deps:
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || \
	  { echo "installing poppler-utils (pdftotext, pdftoppm)"; \
	    apt-get update -qq && apt-get install -y -qq poppler-utils; }

demo: $(STAMP)
	$(BIN)/chargeback run --demo

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf $(VENV) output/*/ build *.egg-info
