#!/usr/bin/env bash
# What the headless-browser tests of the web app need: Chromium and its chromedriver (Debian's
# chromium and chromium-driver packages) and axe-core's axe.min.js (the accessibility checker
# the tests inject into the page), pinned by version and by the sha256 of its npm tarball.
# Idempotent: a second run installs and downloads nothing. It ends by printing where things
# are, as KEY=value lines a test runner can read.
set -euo pipefail

axe_version=4.14.1
# sha256 of axe-core-4.14.1.tgz as the npm registry serves it (npm's integrity for it is
# sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==).
axe_tarball_sha256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
# sha256 of package/axe.min.js inside it, to check a cached copy without the tarball.
axe_js_sha256=29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c

axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/govmatch/axe-core/$axe_version"
axe_js="$axe_dir/axe.min.js"

say() { echo "setup-browser: $*" >&2; }

sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi

apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null; then
    say "no apt-get here; install $* yourself"
    exit 1
  fi
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  # env, not a prefix assignment: sudo drops the caller's environment.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Chromium and chromedriver.
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  say "installing chromium and chromium-driver (about 160 MB download)"
  apt_install chromium chromium-driver
fi
chromium_bin=$(command -v chromium) || { say "no chromium on PATH after installing"; exit 1; }
chromedriver_bin=$(command -v chromedriver) || { say "no chromedriver on PATH after installing"; exit 1; }

# axe-core.
if [ -f "$axe_js" ] && [ "$(sha256_of "$axe_js")" = "$axe_js_sha256" ]; then
  :
else
  if ! command -v npm >/dev/null; then
    say "installing npm"
    apt_install npm
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  say "fetching axe-core@$axe_version"
  tarball=$(cd "$tmp" && npm pack --silent "axe-core@$axe_version" | tail -n 1)
  tarball="$tmp/$tarball"
  actual=$(sha256_of "$tarball")
  if [ "$actual" != "$axe_tarball_sha256" ]; then
    say "axe-core-$axe_version.tgz has sha256 $actual, expected $axe_tarball_sha256"
    exit 1
  fi
  tar -xzf "$tarball" -C "$tmp" package/axe.min.js
  actual=$(sha256_of "$tmp/package/axe.min.js")
  if [ "$actual" != "$axe_js_sha256" ]; then
    say "axe.min.js has sha256 $actual, expected $axe_js_sha256"
    exit 1
  fi
  mkdir -p "$axe_dir"
  # Into place in one rename, so an interrupted run leaves no partial file behind.
  cp "$tmp/package/axe.min.js" "$axe_js.tmp.$$"
  mv -f "$axe_js.tmp.$$" "$axe_js"
fi

echo "CHROMIUM=$chromium_bin"
echo "CHROMIUM_VERSION=$("$chromium_bin" --version 2>/dev/null | sed -n 's/^Chromium \([0-9.]*\).*/\1/p')"
echo "CHROMEDRIVER=$chromedriver_bin"
echo "CHROMEDRIVER_VERSION=$("$chromedriver_bin" --version | sed -n 's/^ChromeDriver \([0-9.]*\).*/\1/p')"
echo "AXE_CORE_VERSION=$axe_version"
echo "AXE_JS=$axe_js"
