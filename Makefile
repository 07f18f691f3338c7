# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench install clean system-deps

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
# LibreOffice Calc for the workbook, hledger (a double-entry engine) for the journal. They
# render about thirty PDFs: with HarfBuzz-Subset WeasyPrint subsets the fonts in C, a
# quarter of each render's time otherwise (and without it WeasyPrint warns it will need it).
system-deps:
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v soffice >/dev/null && \
	  command -v hledger >/dev/null && /sbin/ldconfig -p | grep 'libharfbuzz-subset\.so\.0' >/dev/null || \
	  { echo "installing poppler-utils, libreoffice-calc-nogui, hledger and libharfbuzz-subset0 (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils \
	      libreoffice-calc-nogui hledger libharfbuzz-subset0; }

# The demo shows a year: the eleven months before the last complete one are backfilled from the
# same simulator and closed (their workbooks, journals and manifests, without the PDF, to stay
# quick; months already there are left alone), then the last complete month is run in full.
DEMO_FROM = $(shell date -u -d "$$(date -u +%Y-%m-15) -12 months" +%Y-%m)
DEMO_TO = $(shell date -u -d "$$(date -u +%Y-%m-15) -2 months" +%Y-%m)

# The last closed month then gets the demo organization's invoice (a promotional credit and VAT),
# recorded beside its seal once, so the walk and the true-up are there to see and the History
# counts the true-up.
DEMO_INVOICE := output/$(DEMO_TO)/invoices/INV-DEMO-$(DEMO_TO)

demo: $(STAMP)
	$(BIN)/chargeback backfill --demo --from $(DEMO_FROM) --to $(DEMO_TO) --close --no-pdf
	@test -d $(DEMO_INVOICE) || { file=$$(mktemp --suffix=.yaml) && \
	  $(BIN)/python -m reports.simulator.demo_invoice --month $(DEMO_TO) --output output > "$$file" && \
	  $(BIN)/chargeback invoice --demo --month $(DEMO_TO) --file "$$file"; status=$$?; rm -f "$$file"; exit $$status; }
	$(BIN)/chargeback run --demo

# The tests run in parallel, one worker per core (pytest-xdist; `make test PYTEST_WORKERS=0` runs them in
# one process). Work stealing keeps both cores busy to the end; each test has its own folders and ports.
PYTEST_WORKERS ?= auto
PARALLEL = -n $(PYTEST_WORKERS) --dist worksteal

test: $(STAMP) system-deps
	$(BIN)/python -m pytest $(PARALLEL)

# The inner loop while changing code: every test but the slow ones (whole months end to end,
# killed processes, LibreOffice, hledger, the FOCUS validator, the wheel); about half a minute.
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(PARALLEL) -m "not slow"

# ruff (pycodestyle, pyflakes, import order, pyupgrade, bugbear) and mypy over the package, as
# configured in pyproject.toml; both must be clean. CI runs this before the tests.
LINT_STAMP := $(VENV)/.lint-installed

$(LINT_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet '.[lint]'
	rm -rf build
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)
	$(BIN)/ruff check reports tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf $(VENV) output/*/ build *.egg-info
