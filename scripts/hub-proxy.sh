#!/usr/bin/env bash
# configurable-http-proxy from npm: the proxy JupyterHub runs in front of its servers, needed by
# the end-to-end test tests/test_hub.py. Installed once under scripts/hub-proxy/, never globally.
set -euo pipefail
cd "$(dirname "$0")/hub-proxy"
if [ ! -x node_modules/.bin/configurable-http-proxy ]; then
    npm install --no-audit --no-fund --no-package-lock --loglevel=error
fi
