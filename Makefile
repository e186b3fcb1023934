# The two commands of the README, and the pieces they are made of. Every target runs
# scripts/setup first, which is idempotent and fast when nothing changed.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# Each tier's temporary folders go in one folder of its own, removed when the tier ends.
IN_RUN_TMPDIR := scripts/with-run-tmpdir
VITEST := $(IN_RUN_TMPDIR) npx vitest run --reporter=default
# The pinned AWS SDK warns on every start that its releases after January 2027 need Node 22;
# the project runs Node 20 with that pinned SDK, so the warning only clutters the output.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED := true

.PHONY: help setup demo test test-lane-node test-lane-python test-integration-rest test-integration-landings test-browser screenshots test-static test-unit test-integration test-e2e test-python test-airflow bench clean openapi openapi-check

help:
	@echo "make demo   land sample Parquet in a watched folder, run the job it starts, print what came out"
	@echo "make test   install what the tests need and run every tier"
	@echo "make bench  run the benchmarks (BENCH lines)"
	@echo "make screenshots  run the browser tests and write their screenshots over docs/screenshots/"
	@echo "make openapi  write docs/openapi.json from the route definitions and regenerate the TypeScript and Python clients"

setup:
	@scripts/setup

demo: setup
	@node --import tsx scripts/demo.ts

# The servers-and-processes tiers run in two lanes side by side: the Node lane (integration
# but the landing tests, the browser tests, then part of e2e) and the Python lane (spark-apps,
# the Airflow provider, the rest of e2e, then the landing tests). The landing tests
# (test/integration/landings*) wait out real quiet periods at production defaults, about 6 of
# integration's 18 minutes; they run in the Python lane, which is otherwise the shorter. E2E is
# split so that the lanes end together (measured on a warm clean clone: Node lane 823 s and
# Python lane 1,018 s with all of e2e in the Python lane; the two files moved take about 96 s).
# Each lane runs its tests one file at a time; both mostly wait on child processes, so two
# lanes fit 2 cores and keep a warm run under 20 minutes. A lane's output is printed whole
# when it ends.
test: setup test-static test-unit
	$(MAKE) -j2 --output-sync=recurse test-lane-node test-lane-python

LANDING_TESTS := test/integration/landings
# The e2e files the Node lane runs; the Python lane runs the others.
E2E_IN_NODE_LANE := test/e2e/embedded-engine test/e2e/spark-jobs

test-lane-node:
	$(MAKE) test-integration-rest
	$(MAKE) test-browser
	$(VITEST) --project e2e $(E2E_IN_NODE_LANE)

test-lane-python:
	$(MAKE) test-python
	$(MAKE) test-airflow
	$(VITEST) --project e2e $(foreach file,$(E2E_IN_NODE_LANE),--exclude '$(file)*')
	$(MAKE) test-integration-landings

test-static: openapi-check
	npx tsc --noEmit
	npx tsc -p broker/ui/web
	npx eslint .

# The API contract: docs/openapi.json and the TypeScript client types generated from it
# (broker/cli/generated/sluice-api.ts) are built offline from the route definitions.
openapi:
	node --import tsx scripts/openapi.ts
	scripts/python-client

# Fails, with the diff, when a route changed without `make openapi` (CI runs it in make test).
openapi-check:
	node --import tsx scripts/openapi.ts --check
	scripts/python-client --check

test-unit:
	$(VITEST) --project unit

test-python:
	$(IN_RUN_TMPDIR) .venv/bin/pytest -q spark-apps/tests

# The Airflow provider: its wheel built and installed into .venv (scripts/provider-wheel), then
# its unit tests and its integration tests in a real Airflow 3 against a real Sluice.
test-airflow:
	scripts/provider-wheel
	$(IN_RUN_TMPDIR) .venv/bin/pytest -q -p no:cacheprovider airflow-provider/tests

# The whole integration tier; make test runs it in two parts, one in each lane.
test-integration:
	$(VITEST) --project integration

test-integration-rest:
	$(VITEST) --project integration --exclude '$(LANDING_TESTS)*'

test-integration-landings:
	$(VITEST) --project integration $(LANDING_TESTS)

# The dashboard in real Chromium (Debian's, driven by playwright-core) against a real Sluice.
test-browser:
	$(VITEST) --project browser

# The browser tests again, writing their screenshots over docs/screenshots/ (make test keeps them in its temporary folder).
screenshots: setup
	SLUICE_UPDATE_SCREENSHOTS=1 $(VITEST) --project browser

test-e2e:
	$(VITEST) --project e2e

bench: setup
	@$(IN_RUN_TMPDIR) node --import tsx bench/run-all.ts

clean:
	rm -rf .sluice
