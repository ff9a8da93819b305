#!/usr/bin/env bash
# Debian packages the browser tests need; installed once, only where missing.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests" >&2
    fi
fi
