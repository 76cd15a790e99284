#!/usr/bin/env bash
# The whole test run: system packages, type check + build, lint, then every test with Node's runner.
# `npm ci && npm test` on a fresh machine runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
rm -rf dist  # stale compiled tests of removed source files must not run
npx tsc -p tsconfig.json
npx eslint --no-warn-ignored .
# Two files at a time: the machine has 2 cores and the integration tests start real processes.
node --test --test-concurrency=2 --test-timeout=120000 dist/
