#!/usr/bin/env bash
# `npm test`: install what is missing, then typecheck, lint, check formatting and circular imports, and run the unit and integration
# suites (the integration suite starts real Kafka/Redis via test/integration/global-setup.ts).
# Any failure fails the command; the vitest JSON report lands in test-results/vitest.json.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"

log() { printf '[test] %s\n' "$*" >&2; }

# Dependencies: a fresh clone, or a lockfile changed since the last install.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

# System packages for the local stack, needed only when neither the environment nor Docker
# provides Kafka/Redis (the same rule as the integration global setup).
if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${REDIS_URL:-}" ] || [ -z "${SCHEMA_REGISTRY_URL:-}" ]; then
  if ! timeout 15 docker info >/dev/null 2>&1; then
    missing=()
    command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || missing+=(maven)
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v redis-cli >/dev/null || missing+=(redis-tools)
    command -v curl >/dev/null || missing+=(curl)
    if [ "${#missing[@]}" -gt 0 ]; then
      sudo=""
      [ "$(id -u)" -eq 0 ] || sudo="sudo"
      log "apt-get install ${missing[*]}"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
  fi
fi

# Debian's prometheus and prometheus-alertmanager packages: promtool and amtool check the rules and the
# Alertmanager config, and the prometheus and alertmanager servers run the end-to-end alerting test
# (test/integration/prometheus-e2e.test.ts), whatever provides Kafka.
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null || ! command -v prometheus-alertmanager >/dev/null || ! command -v amtool >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "apt-get install prometheus prometheus-alertmanager (for promtool, amtool and the servers)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager
fi

# A report from an earlier run must never be mistaken for this one's.
rm -f test-results/vitest.json
mkdir -p test-results

log "typecheck"
npm run --silent typecheck
log "lint"
npm run --silent lint
log "format (prettier --check)"
npm run --silent format:check
log "circular imports (madge)"
npm run --silent check:circular
log "vitest (unit + integration)"
npx vitest run --config test/vitest.config.ts \
  --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
