# fleetlab: `make serve` to open the playground, `make test` to check everything.
# Each target installs what it needs first (scripts/setup.sh skips what is already there).
SHELL := /bin/bash
PORT ?= 8080
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: serve test bench setup wasm lint unit determinism wasm-test page-test clean

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

bench: setup wasm
	cargo bench --bench engine
	node tests/e2e/bench.mjs

clean:
	cargo clean
	rm -rf www/pkg node_modules
