# The two commands a newcomer runs (see README.md):
#   make demo   create .venv, pull the default model, run secgen on the bundled examples
#   make test   the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.secgen-installed

.PHONY: demo test env model clean system-deps

env: $(STAMP)

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing secgen and its dependencies (llama-cpp-python compiles once, ~5 min on 2 cores; pip caches it)"
	$(BIN)/python -m pip install --progress-bar on -e '.[dev,train]'
	touch $(STAMP)

# cppcheck (a Debian package) for the cppcheck analyzer; gcc and g++ are already needed to build llama-cpp-python.
# Checked on every make (order-only: it never forces a reinstall). Without root it cannot be installed: the analyzer
# then reports itself unavailable and the build goes on, but `make test` (SECGEN_REQUIRE_TOOLS=1) fails on it.
system-deps:
	@command -v cppcheck >/dev/null || (apt-get update -qq && apt-get install -y -qq cppcheck) \
		|| echo "warning: could not install cppcheck; the cppcheck analyzer will report itself unavailable"

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
	SECGEN_REQUIRE_MODEL=1 SECGEN_REQUIRE_TOOLS=1 SECGEN_REQUIRE_TRAIN=1 $(BIN)/python -m pytest -ra

clean:
	rm -rf $(VENV) build dist *.egg-info bench-results
