# The two commands a newcomer runs (see README.md):
#   make demo   create .venv, pull the default model, run secgen on the bundled examples
#   make test   the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.secgen-installed

.PHONY: demo test env model clean

env: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing secgen and its dependencies (llama-cpp-python compiles once, ~5 min on 2 cores; pip caches it)"
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	touch $(STAMP)

model: $(STAMP)
	$(BIN)/secgen model pull

demo: model
	@echo "== secgen check: analyzer findings in the bundled example =="
	-$(BIN)/secgen check examples/insecure.py
	@echo "== secgen fix: the repair loop on each flagged function (a diff; nothing is written) =="
	cd examples && ../$(BIN)/secgen fix insecure.py
	@echo "== secgen complete: a suggestion at the cursor, checked and repaired =="
	$(BIN)/secgen complete examples/complete_me.py --line 8 --column 5

test: model
	SECGEN_REQUIRE_MODEL=1 $(BIN)/python -m pytest -ra

clean:
	rm -rf $(VENV) build dist *.egg-info bench-results
