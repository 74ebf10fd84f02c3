#!/usr/bin/env bash
# Installs everything critlcn needs on a Debian-like machine, idempotently:
# PHCpack and phcpy from Debian (phcpy is not on PyPI and is built for the
# system Python 3.11), LaTeX for checking exported tables, then a virtual
# environment made from the system interpreter with its site packages, so
# that phcpy is importable, and the package with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
PACKAGES="python3 python3-venv python3-phcpy phcpack texlive-latex-recommended"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import phcpy" >/dev/null 2>&1; then
    rm -rf .venv
    /usr/bin/python3 -m venv --system-site-packages .venv
fi
log=$(mktemp)
if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
rm -f "$log"
.venv/bin/python -c "import critlcn, phcpy" >/dev/null
