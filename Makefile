# Two commands: `make demo` bakes the default project and runs it; `make test` runs the
# template's own tests. Both need only Python 3 and make: the rest goes into .venv.

PYTHON ?= python3
VENV := .venv
DEMO := build/inventory-service

.DEFAULT_GOAL := help
.PHONY: help demo test clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-7s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --requirement tests/requirements.txt
	touch $@

demo: $(VENV)/.installed ## Bake the default project into build/, install it, migrate it, show the result
	rm -rf $(DEMO)
	$(VENV)/bin/cookiecutter --no-input --output-dir build .
	$(MAKE) -C $(DEMO) install db-upgrade
	cd $(DEMO) && .venv/bin/alembic history --verbose && .venv/bin/alembic current
	$(MAKE) -C $(DEMO) test

# One worker more than cores: many tests wait on a database server or a subprocess; an idle
# worker takes tests queued for a busy one, so the long ones do not finish the run alone.
WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")

test: $(VENV)/.installed ## Run the template's tests (bakes and runs every combination)
	$(VENV)/bin/python -m pytest -n $(WORKERS) --dist worksteal $(PYTEST_ARGS)

clean: ## Remove .venv, .cache and build/
	rm -rf $(VENV) .cache build
