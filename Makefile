# fleetlab: `make serve` to open the playground, `make test` to check everything.
# Each target installs what it needs first (scripts/setup.sh skips what is already there).
SHELL := /bin/bash
PORT ?= 8080
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: serve test bench setup wasm lint unit determinism wasm-test page-test fuzz clean

setup:
	scripts/setup.sh test

wasm:
	scripts/setup.sh build
	wasm-pack build --target web --release --out-dir www/pkg --no-pack
	rm -f www/pkg/.gitignore
	node scripts/precompress.mjs

serve: wasm
	PORT=$(PORT) node scripts/serve.mjs

lint: determinism
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test --release

# The browsers' runs are compared byte for byte with the native CLI's output of this run.
determinism:
	cargo build --release --bin fleetlab
	mkdir -p target/determinism
	for f in tests/scenarios/*.json; do target/release/fleetlab run $$f > target/determinism/$$(basename $$f) || exit 1; done

wasm-test: determinism
	# One driver per run: with both CHROMEDRIVER and GECKODRIVER in the environment the test
	# runner would pick geckodriver for the Chrome run too.
	env -u CHROMEDRIVER -u GECKODRIVER wasm-pack test --headless --release \
	  --chrome --chromedriver /usr/bin/chromedriver --firefox --geckodriver $$(command -v geckodriver) \
	  --test web

page-test: wasm
	cargo build --release --bin fleetlab
	node --test tests/e2e/

test: setup lint unit wasm-test page-test

# Coverage-guided fuzzing (not part of `make test`): cargo-fuzz on the nightly toolchain, each
# target for FUZZ_SECONDS. The corpus grows in fuzz/corpus/ (not committed; fuzz/seeds/ is the
# seed corpus); a crash is written to fuzz/artifacts/ and becomes a file in tests/regressions/.
FUZZ_SECONDS ?= 900
FUZZ_TARGETS ?= from_json simulate
fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$t artifacts/$$t && \
	  cargo +nightly fuzz run --sanitizer none $$t corpus/$$t seeds/$$t -- \
	    -dict=scenario.dict -max_len=8192 -timeout=60 -rss_limit_mb=1024 \
	    -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=artifacts/$$t/ -print_final_stats=1 || exit 1; \
	done

bench: setup wasm
	cargo bench --bench engine
	node tests/e2e/bench.mjs

clean:
	cargo clean
	rm -rf www/pkg node_modules
