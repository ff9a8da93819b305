# Two commands a fresh clone needs (see README):
#   make lab    set everything up, then open JupyterLab with the registry
#   make test   set everything up, then run the whole test suite (what .ci/run calls)
VENV ?= .venv
PY := $(VENV)/bin/python
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# jlpm (JupyterLab's yarn) and jupyter live in the venv; the frontend build needs them on PATH.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup lab test test-frontend lint bench clean

$(VENV)/.installed: pyproject.toml labextension/package.json labextension/yarn.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip editables hatchling
	$(PY) -m pip install -e ".[test]"
	touch $@

setup: $(VENV)/.installed
	@bash scripts/system-deps.sh
	@bash scripts/hub-proxy.sh
	@$(VENV)/bin/jupyter labextension list 2>&1 | grep -q "jupyter-registry v.*enabled.*OK" \
		|| { echo "the JupyterLab extension was not built: see the pip install output above" >&2; exit 1; }

lab: setup
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=0 $(ROOT_FLAG) notebooks

lint: setup
	$(VENV)/bin/ruff check jupyter_registry tests benchmarks
	cd labextension && jlpm lint && jlpm typecheck

test-frontend: setup
	cd labextension && jlpm test

test: lint test-frontend
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) jupyter_registry/labextension labextension/node_modules labextension/lib
