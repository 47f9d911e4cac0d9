#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages and npm, only when missing.
set -euo pipefail
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list :lang=ja 2>/dev/null | grep -qi "noto" || need+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -qi "BIZ UDPGothic" || need+=(fonts-morisawa-bizud-gothic)  # the PDF's font: TrueType, embedded as a real font by Chromium
fc-list 2>/dev/null | grep -qi "Carlito" || need+=(fonts-crosextra-carlito)  # Calibri's metrics: LibreOffice then sizes the workbooks' columns (and print scale) as Excel does
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing system packages (install them as root): ${need[*]}" >&2
  fi
fi
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -f "$here/node/node_modules/axe-core/axe.min.js" ] && command -v npm >/dev/null 2>&1; then
  (cd "$here/node" && npm install --silent --no-audit --no-fund >/dev/null)
fi
