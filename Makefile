# The two commands: `make run` and `make test`. Everything else supports them.
GO      ?= go
export CGO_ENABLED := 1

.PHONY: run test generate check-generated lint bench fuzz build sandbox mutate crash

run: generate
	$(GO) run ./cmd/cashier

# The sandbox alone (cmd/sandbox) on 127.0.0.1:8081, its state in SANDBOX_DATA. It
# trusts the merchant key SANDBOX_DATA/merchant/public.pem, made the first time
# (cmd/trustly keygen): a cashier pointed at it signs with merchant/private.pem.
# SANDBOX_FLAGS adds flags, such as SANDBOX_FLAGS='--addr 127.0.0.1:8082'.
SANDBOX_DATA ?= sandbox-data
sandbox:
	@test -f $(SANDBOX_DATA)/merchant/public.pem || $(GO) run ./cmd/trustly keygen --out $(SANDBOX_DATA)/merchant
	$(GO) run ./cmd/sandbox --data $(SANDBOX_DATA) --merchant-key $(SANDBOX_DATA)/merchant/public.pem $(SANDBOX_FLAGS)

build: generate
	$(GO) build -o bin/ ./cmd/...

generate:
	$(GO) tool templ generate

# Generated templ code is committed; this fails when it is stale.
check-generated:
	@$(GO) tool templ generate >/dev/null 2>&1
	@git diff --exit-code --stat -- '*_templ.go' || { echo "templ output is stale: run make generate and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_templ.go'); \
	  if [ -n "$$untracked" ]; then echo "generated but not committed: $$untracked"; exit 1; fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: check-generated lint
	$(GO) test -count=1 -timeout 45m ./...

# The crash harness at length: 120 kill cycles of the real binaries (about 2 minutes);
# `make test` runs 10. CRASH_SEED=… replays a run, CRASH_CYCLES=… sets the count. TestTwoInstances (two
# cashiers on PostgreSQL, TEST_DATABASE_URL) runs a larger storm.
crash:
	CRASH=1 $(GO) test -count=1 -timeout 30m -run 'TestCrash|TestTwoInstances' -v ./internal/crash

# Every benchmark, then one Markdown table of every ratio and its goal
# (internal/benchtable). pipefail: a failing benchmark fails the run. Benchmarks
# that need PostgreSQL skip without TEST_DATABASE_URL.
bench: SHELL := /bin/bash
bench:
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem ./... | $(GO) run ./internal/benchtable

# Every fuzz target for FUZZTIME each, one after the other (`make fuzz FUZZTIME=10m`).
# The seed corpora (testdata/fuzz/<Name>) also run in `make test`; a finding is
# written there by go test and becomes a seed once committed. The README records
# how long each target ran clean.
FUZZTIME ?= 20s
FUZZ_TARGETS := trustly:FuzzSerialize trustly:FuzzParseNotification trustly:FuzzResponse \
	models:FuzzParseMoney models:FuzzParseDecimal models:FuzzParseBankDetails \
	cashier/paynplay:FuzzParsePersonID \
	handlers:FuzzSessionCookie handlers:FuzzTxFilter handlers:FuzzReadTxCursor
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t#*:}; echo "fuzz $$name in ./$$pkg for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg; \
	done

# Mutation run over the money paths (internal/mutate/mutations.txt): each listed bug
# must make the tests fail. Not part of `make test`; it takes about a quarter of an hour.
# Set TEST_DATABASE_URL so PostgreSQL is tested too; MUTATE_FLAGS="-only NAME" runs one.
mutate:
	$(GO) run ./internal/mutate $(MUTATE_FLAGS)
