#!/usr/bin/env bash
# System packages govmatch uses at run time: the German-English dictionary (Ding, Debian's
# trans-de-en) that lets German challenges reach English profiles through BM25. Without it
# govmatch still runs, matching German words as written.
set -euo pipefail
dictionary=/usr/share/trans/de-en
if [ -f "$dictionary" ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
if command -v apt-get >/dev/null; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq trans-de-en
else
  echo "setup: no apt-get here; install Ding's de-en dictionary and set GOVMATCH_DICTIONARY to its path" >&2
  exit 1
fi
test -f "$dictionary"
