# Two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install system-deps demo test bench bench-sync lint

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Tools from Debian: hledger checks our exports, chromium drives the dashboard's browser
# tests, tesseract reads scanned receipts (command:package). Installed when missing and
# we may (root with apt).
SYSTEM_TOOLS := hledger:hledger chromium:chromium tesseract:tesseract-ocr
system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -q $$missing >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null)); \
	  else echo "note: install$$missing (apt-get install$$missing) to run every test"; fi; fi

demo: install
	$(VENV)/bin/ledgerbridge demo

test: install system-deps
	$(VENV)/bin/pytest

bench: install
	$(PY) bench/ledger_bench.py

# Webhook gateway and workers as real processes; SYNC_BENCH_ARGS="--pg postgresql://..."
# adds PostgreSQL (that database's public schema is dropped and recreated).
bench-sync: install
	$(PY) bench/sync_bench.py $(SYNC_BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests bench
