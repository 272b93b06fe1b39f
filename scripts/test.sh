#!/usr/bin/env bash
# Prepares a fresh machine and runs the whole test suite (README: "Run the tests").
#  1. npm packages exactly from the committed lockfile;
#  2. Debian's chromium for the browser tests (no browser download);
#  3. the local PostgreSQL started if it is stopped;
#  4. npm test (typecheck, lint, unit, integration on SQLite and PostgreSQL, browser).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== npm packages (npm ci)"
npm ci --no-audit --no-fund

# Japanese glyphs for readable screenshots (the pages are Japanese by default).
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-ipafont-gothic >/dev/null 2>&1; then
  echo "== installing Debian's chromium and a Japanese font"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null
fi

PGURL="${KESSAI_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
export KESSAI_TEST_DATABASE_URL="$PGURL"

echo "== npm test"
npm test
