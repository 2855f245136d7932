# Two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install system-deps demo test bench lint

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Tools the tests check our exports with (hledger); installed from Debian when missing.
system-deps:
	@command -v hledger >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -q hledger >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q hledger >/dev/null)); \
	  else echo "note: install hledger (apt-get install hledger) to run the export checks"; fi; }

demo: install
	$(VENV)/bin/ledgerbridge demo

test: install system-deps
	$(VENV)/bin/pytest

bench: install
	$(PY) bench/ledger_bench.py

lint: install
	$(VENV)/bin/ruff check src tests bench
