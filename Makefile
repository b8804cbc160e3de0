# The two commands a newcomer runs (see README.md):
#   make demo   create .venv, pull the default model, run secgen on the bundled examples
#   make test   the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.secgen-installed

.PHONY: demo test env model clean system-deps editors

env: $(STAMP)

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing secgen and its dependencies (llama-cpp-python compiles once, ~5 min on 2 cores; pip caches it)"
	$(BIN)/python -m pip install --progress-bar on -e '.[dev,train,bench]'
	touch $(STAMP)

# Debian packages, checked on every make (order-only: they never force a reinstall):
# - cppcheck, for the cppcheck analyzer (gcc and g++ are already needed to build llama-cpp-python);
# - for the editor tests (tests/editors, editors/vscode/e2e): chromium, which drives code-server's VS Code, and
#   the headers code-server's native modules build against.
# Without root they cannot be installed: the build goes on (the analyzer reports itself unavailable, the VS Code
# test is skipped), but `make test` (SECGEN_REQUIRE_TOOLS=1) fails on them.
DEB_PACKAGES := cppcheck chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config
system-deps:
	@dpkg -s $(DEB_PACKAGES) >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $(DEB_PACKAGES)) \
		|| echo "warning: could not install $(DEB_PACKAGES); the cppcheck analyzer and the VS Code test will be unavailable"

# The editor clients: the VS Code extension (checked, linted, unit-tested, packaged as a .vsix) and the tools of
# its end-to-end test (code-server with Node 24, playwright-core). Both are no-ops when up to date.
editors: | system-deps
	$(MAKE) --no-print-directory -C editors/vscode vsix test
	$(MAKE) --no-print-directory -C editors/vscode/e2e install

model: $(STAMP)
	$(BIN)/secgen model pull

demo: model
	@echo "== secgen check: analyzer findings in the bundled example =="
	-$(BIN)/secgen check examples/insecure.py
	@echo "== secgen fix: the repair loop on each flagged function (a diff; nothing is written) =="
	cd examples && ../$(BIN)/secgen fix insecure.py
	@echo "== secgen complete: a suggestion at the cursor, checked and repaired =="
	$(BIN)/secgen complete examples/complete_me.py --line 8 --column 5

test: model editors
	SECGEN_REQUIRE_MODEL=1 SECGEN_REQUIRE_TOOLS=1 SECGEN_REQUIRE_TRAIN=1 $(BIN)/python -m pytest -ra

clean:
	rm -rf $(VENV) build dist *.egg-info bench-results
