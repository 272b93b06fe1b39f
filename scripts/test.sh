#!/usr/bin/env bash
# Prepares a fresh machine and runs the whole test suite (README: "Run the tests").
#  1. npm packages exactly from the committed lockfile (skipped when node_modules was installed
#     from this very lockfile);
#  2. Debian's chromium and fonts for the browser tests (no browser download);
#  3. the local PostgreSQL started if it is stopped;
#  4. npm test (typecheck, lint, unit, integration on SQLite and PostgreSQL, browser);
#  5. the crash suite (npm run test:crash; docs/operations.md, Crash suite);
#  6. the benchmark in its quick mode, as a smoke test (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# The lockfile's hash is kept in node_modules after an install: the same lockfile (and the same
# Node.js, as native modules are built for it) needs no new install.
STAMP=node_modules/.kessai-lock-hash
WANT="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  echo "== npm packages: up to date with package-lock.json"
else
  echo "== npm packages (npm ci)"
  npm ci --no-audit --no-fund
  echo "$WANT" > "$STAMP"
fi

# Debian packages for the browser tests: chromium, and fonts for readable screenshots — Japanese
# (the pages' default), Thai, Korean and Chinese (the language switchers name each language in
# itself). README.md lists them.
DEBIAN_PACKAGES="chromium fonts-ipafont-gothic fonts-tlwg-loma-otf fonts-nanum fonts-wqy-microhei"
MISSING=""
for package in $DEBIAN_PACKAGES; do
  dpkg -s "$package" >/dev/null 2>&1 || MISSING="$MISSING $package"
done
if [ -n "$MISSING" ]; then
  echo "== installing Debian packages:$MISSING"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $MISSING >/dev/null
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

echo "== npm run test:crash"
npm run test:crash

# The benchmark once, as a smoke test: it must run end to end; its figures are not checked
# (bench/README.md).
echo "== npm run bench -- --quick"
npm run bench -- --quick
