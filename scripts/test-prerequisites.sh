#!/usr/bin/env bash
# What `npm test` needs besides npm packages: the Temporal CLI, and the Temporal server and its SQL tool for the
# production-topology fault run (each found or built once, cached outside the clone), and PostgreSQL's server binaries from Debian (the store is tested on a real server the tests start).
set -euo pipefail
cd "$(dirname "$0")/.."

node --import tsx scripts/temporal-cli.ts >/dev/null
node --import tsx scripts/temporal-server.ts --server-only >/dev/null

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server binaries are missing: install Debian's postgresql package (apt-get install postgresql)" >&2
    exit 1
  fi
  echo "installing PostgreSQL from Debian's packages..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

# The dashboard's browser tests drive Debian's Chromium through playwright-core (never a downloaded browser).
if ! [ -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Chromium is missing: the dashboard tests will be skipped (install Debian's chromium package)" >&2
  else
    echo "installing Chromium from Debian's packages..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
