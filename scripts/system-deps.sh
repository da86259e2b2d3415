#!/usr/bin/env bash
# Installs the system tools the tests use, when missing: Chromium (accessibility check,
# screenshots), poppler-utils (PDF text), and axe-core from npm. Needs root or sudo for apt.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  echo "Installing ${need[*]} (Debian packages)..."
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null || \
    echo "WARNING: could not install ${need[*]}; tests that need them will be skipped" >&2
fi
if [ ! -f "$here/node_modules/axe-core/axe.min.js" ] && command -v npm >/dev/null 2>&1; then
  (cd "$here" && npm install --silent --no-audit --no-fund --no-save axe-core@4 >/dev/null 2>&1) || \
    echo "WARNING: could not install axe-core; the accessibility test will be skipped" >&2
fi
exit 0
