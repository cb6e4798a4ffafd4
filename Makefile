# Two targets a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench-locomo bench-dynamics bench-scale clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/memstrata --db memstrata-demo.db demo

test: $(VENV)/.installed-dev
	$(BIN)/ruff check memstrata tests scripts bench
	$(BIN)/ruff format --check memstrata tests scripts bench
	$(BIN)/mypy memstrata tests bench
	$(BIN)/pytest

bench-locomo: $(VENV)/.installed-dev
	$(BIN)/memstrata bench locomo --data ../shared/data/locomo10.json --out bench/results

bench-dynamics: $(VENV)/.installed-dev
	$(BIN)/memstrata bench dynamics --data ../shared/data/locomo10.json --out bench/results

bench-scale: $(VENV)/.installed-dev
	$(BIN)/memstrata bench scale --n 10000,100000 --out bench/results

clean:
	rm -rf $(VENV) memstrata-demo.db* .mypy_cache .pytest_cache .ruff_cache
