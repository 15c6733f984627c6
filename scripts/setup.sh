#!/usr/bin/env bash
# Installs what fleetlab needs, skipping whatever is already present at the right version.
#   scripts/setup.sh build   rustup wasm target, wasm-bindgen-cli (= Cargo.lock), wasm-pack
#   scripts/setup.sh test    the above + Debian chromium, chromium-driver, firefox-esr,
#                            geckodriver (crates.io) and the page tests' npm packages
#   scripts/setup.sh www     the page's own npm packages (chart library), copied into www/vendor
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-build}"
log() { printf 'setup: %s\n' "$*" >&2; }

locked_version() { # version of crate $1 in Cargo.lock
  awk -v name="$1" '$0=="name = \"" name "\""{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock
}

need_cargo_tool() { # binary crate version
  local bin="$1" crate="$2" version="$3"
  if command -v "$bin" >/dev/null 2>&1 && { [ -z "$version" ] || "$bin" --version 2>/dev/null | grep -qF " $version"; }; then
    return 0
  fi
  log "installing $crate ${version:-(latest)} from crates.io (takes minutes the first time)"
  if [ -n "$version" ]; then
    cargo install --quiet "$crate" --version "$version"
  else
    cargo install --quiet "$crate"
  fi
}

setup_build() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding rustup target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  [ -f Cargo.lock ] || cargo generate-lockfile
  need_cargo_tool wasm-bindgen wasm-bindgen-cli "$(locked_version wasm-bindgen)"
  need_cargo_tool wasm-pack wasm-pack ""
}

setup_www() {
  if [ ! -f www/vendor/uPlot.esm.js ] || [ ! -d node_modules/uplot ]; then
    log "installing the page's npm packages"
    npm ci --no-audit --no-fund --silent
    mkdir -p www/vendor
    cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css www/vendor/
  fi
}

setup_browsers() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  command -v firefox >/dev/null 2>&1 || missing+=(firefox-esr)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  need_cargo_tool geckodriver geckodriver ""
}

case "$what" in
  build) setup_build; setup_www ;;
  test) setup_build; setup_www; setup_browsers ;;
  www) setup_www ;;
  *) echo "usage: scripts/setup.sh build|test|www" >&2; exit 2 ;;
esac
