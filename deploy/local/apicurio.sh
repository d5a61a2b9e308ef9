#!/usr/bin/env bash
# Apicurio Registry 2.4.2.Final (a real schema registry with a Confluent-compatible API at /apis/ccompat/v7),
# in-memory storage, beside the development stand-in of stack.sh. Built once from Maven Central artifacts
# (deploy/local/apicurio/pom.xml, quarkus-maven-plugin) into deploy/local/.cache/apicurio-<version>.
#
#   eval "$(deploy/local/apicurio.sh start)"   # exports SCHEMA_REGISTRY_URL=http://127.0.0.1:18181/apis/ccompat/v7
#   deploy/local/apicurio.sh stop              # stops only what this script started (pidfile)
#
# stdout carries only the `export ...` line; progress goes to stderr. Nothing is kept across restarts.
# Environment: APICURIO_PORT (18181), STACK_DIR (<repo>/.stack; pid and log in $STACK_DIR/apicurio),
# APICURIO_HEAP (-Xmx384m), APICURIO_START_TIMEOUT seconds (120).
set -euo pipefail

APICURIO_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=stack.sh
source "$APICURIO_SCRIPT_DIR/stack.sh"
log() { printf '[apicurio] %s\n' "$*" >&2; }
die() { printf '[apicurio] ERROR: %s\n' "$*" >&2; exit 1; }

APICURIO_VERSION="2.4.2.Final"
APICURIO_PORT="${APICURIO_PORT:-18181}"
APICURIO_HEAP="${APICURIO_HEAP:--Xmx384m}"
APICURIO_START_TIMEOUT="${APICURIO_START_TIMEOUT:-120}"
APICURIO_BUILD="$CACHE_DIR/apicurio-$APICURIO_VERSION"
APICURIO_RUNNER="$APICURIO_BUILD/apicurio-registry-local-1-runner.jar"
APICURIO_DIR="$STACK_DIR/apicurio"
APICURIO_URL="http://127.0.0.1:$APICURIO_PORT/apis/ccompat/v7"

ensure_apicurio() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v curl >/dev/null || missing+=(curl)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  [ -f "$APICURIO_BUILD/.complete" ] && return
  log "building Apicurio Registry $APICURIO_VERSION from Maven Central into ${APICURIO_BUILD#"$REPO_ROOT"/}"
  local started=$SECONDS
  rm -rf "$APICURIO_BUILD"
  mvn -q -B -Dstyle.color=never -f "$APICURIO_SCRIPT_DIR/apicurio/pom.xml" -DskipTests \
    -Dapicurio.build.dir="$APICURIO_BUILD" package >&2 \
    || { rm -rf "$APICURIO_BUILD"; die "maven could not build io.apicurio:apicurio-registry-app:$APICURIO_VERSION"; }
  [ -f "$APICURIO_RUNNER" ] || die "the build left no $APICURIO_RUNNER"
  touch "$APICURIO_BUILD/.complete"
  log "built in $((SECONDS - started)) s"
}

apicurio_ready() { curl -fsS -o /dev/null "$APICURIO_URL/subjects" 2>/dev/null; }

cmd_apicurio_start() {
  local pidfile="$APICURIO_DIR/apicurio.pid" logfile="$APICURIO_DIR/apicurio.log" i
  if pid_alive "$pidfile" && apicurio_ready; then
    log "apicurio: already running on :$APICURIO_PORT"
  else
    port_open "$APICURIO_PORT" && die "port $APICURIO_PORT is taken by something this script did not start"
    ensure_apicurio
    mkdir -p "$APICURIO_DIR"
    log "apicurio: starting on :$APICURIO_PORT (log ${logfile#"$REPO_ROOT"/})"
    local started=$SECONDS
    # shellcheck disable=SC2086 # APICURIO_HEAP holds several JVM options
    (cd "$APICURIO_DIR" && exec nohup java $APICURIO_HEAP -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$APICURIO_PORT" \
      -jar "$APICURIO_RUNNER" >"$logfile" 2>&1 </dev/null) &
    echo $! >"$pidfile"
    for i in $(seq 1 $((APICURIO_START_TIMEOUT * 4))); do
      apicurio_ready && break
      pid_alive "$pidfile" || { tail -n 30 "$logfile" >&2; rm -f "$pidfile"; die "apicurio exited during startup"; }
      sleep 0.25
    done
    apicurio_ready || { tail -n 30 "$logfile" >&2; die "apicurio did not answer within $APICURIO_START_TIMEOUT s"; }
    log "apicurio: up in $((SECONDS - started)) s"
  fi
  echo "export SCHEMA_REGISTRY_URL=$APICURIO_URL"
}

case "${1:-}" in
  start) cmd_apicurio_start ;;
  stop) stop_pidfile "apicurio" "$APICURIO_DIR/apicurio.pid" ;;
  build) ensure_apicurio ;;
  *)
    echo "usage: $0 start|stop|build" >&2
    exit 2
    ;;
esac
