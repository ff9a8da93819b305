# Two commands a fresh clone needs (see README):
#   make lab    set everything up, then open JupyterLab with the registry
#   make test   set everything up, then run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup lab test lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip editables hatchling
	$(PY) -m pip install -e ".[test]"
	touch $@

setup: $(VENV)/.installed
	@bash scripts/system-deps.sh

lab: setup
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=0 $(ROOT_FLAG) notebooks

test: setup
	$(VENV)/bin/ruff check jupyter_registry tests benchmarks
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) jupyter_registry/labextension labextension/node_modules labextension/lib
