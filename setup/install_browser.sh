#!/usr/bin/env bash
# Installs headless Chromium for the browser test (tests/ui/test_browser.py), only when it is missing.
# Debian's own package is used, never `playwright install`: no browser downloads from a CDN.
# Idempotent and skip-fast; exits 0 (with a message) when apt is unavailable, and the test then skips.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    echo "chromium: present ($CHROMIUM)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium: missing and apt-get is not available; the browser test will be skipped" >&2
    exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "chromium: missing and apt needs root (no passwordless sudo); the browser test will be skipped" >&2
        exit 0
    fi
fi
echo "chromium: installing with apt-get (once)"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium
"$CHROMIUM" --version
