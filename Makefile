# illgw — see README.md. Every target works on a fresh Debian machine with Go.
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 10s
BENCHTIME ?= 1s

.PHONY: run test test-deps vet lint generate bench bench-marc fuzz soak build clean

## run: the demo gateway on the embedded store with three simulated members.
## It builds bin/illgw and runs it rather than `go run`, which exits 1 after
## Ctrl-C (so make printed "Error 1") even when the gateway stopped cleanly.
run:
	$(GO) build -o bin/illgw ./cmd/illgw
	bin/illgw demo

build:
	$(GO) build -o bin/ ./cmd/...

## test: every test with the race detector; installs and starts the real peers it needs
test: test-deps lint
	$(GO) test -race -count=1 -timeout 25m $(PKGS)

## test-deps: install the Debian packages the tests use when they are missing (root with apt)
test-deps:
	@scripts/test-deps.sh

vet:
	$(GO) vet $(PKGS)

## lint: gofmt, go vet and staticcheck must all be clean
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck $(PKGS)

## generate: protobuf and code tables; running it twice leaves git clean
generate:
	@command -v protoc >/dev/null || scripts/test-deps.sh protoc:protobuf-compiler
	$(GO) generate $(PKGS)

## bench: benchmarks, reported as ratios against reference runs in the same process
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem $(PKGS)

## bench-marc: illctl marc convert against yaz-marcdump on the same ~100k-record file
bench-marc: test-deps
	scripts/bench-marc.sh

## bench-catalog: federated search through illgw against yaz-ztest directly (latency, fan-out, cache)
.PHONY: bench-catalog
bench-catalog: test-deps
	scripts/bench-catalog.sh

## bench-ncip: NCIP LookupUser per second through the whole gateway against a trivial Go HTTP handler
.PHONY: bench-ncip
bench-ncip:
	scripts/bench-ncip.sh

## fuzz: a short run of every fuzz target
fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## soak: long load and soak runs (not part of make test)
soak: test-deps
	ILLGW_SOAK=1 $(GO) test -race -count=1 -timeout 60m -run 'Soak' $(PKGS)

clean:
	rm -rf bin var

## load-sip2: SIP2 load through an in-process gateway (100 kiosks x 20 messages;
## override with SIP2LOAD="-kiosks 1000 -interval 2s -duration 2m"); fails on a lost or duplicated transaction
.PHONY: load-sip2
load-sip2:
	$(GO) run ./cmd/sip2load $(or $(SIP2LOAD),-kiosks 100 -messages 20)
