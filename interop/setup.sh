#!/usr/bin/env bash
# Installs the peers of the interop tests (see interop/README.md): Debian's chromium,
# python3-websockets, python3-h2 and python3-wsproto, mosquitto, nginx and haproxy, node and npm
# if they are missing, and the npm
# packages ws and mqtt into interop/node/node_modules, exactly as package-lock.json pins them.
# Idempotent: apt runs only when something is missing. CI runs it before the interop tests.
# Usage: bash interop/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

missing=()
have chromium || missing+=(chromium)
# Debian's interpreter: a python3 earlier in PATH (pyenv, a virtualenv) may not see the package.
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || missing+=(python3-websockets)
/usr/bin/python3 -c 'import h2' >/dev/null 2>&1 || missing+=(python3-h2)
/usr/bin/python3 -c 'import wsproto' >/dev/null 2>&1 || missing+=(python3-wsproto)
have mosquitto || missing+=(mosquitto)
have nginx || missing+=(nginx)
have haproxy || missing+=(haproxy)
have node || missing+=(nodejs)
have npm || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
	echo "interop/setup.sh: installing ${missing[*]}"
	# Installing mosquitto, nginx or haproxy may start their system services (ports 1883 and 80);
	# the tests do not use them: each test runs its own instance on a free port.
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
else
	echo "interop/setup.sh: chromium, python3-websockets, python3-h2, python3-wsproto, mosquitto, nginx, haproxy, node and npm are installed"
fi

npm ci --prefix interop/node --no-audit --no-fund
