#!/usr/bin/env bash
# `npm run demo`: the whole thing on one machine, no Docker.
#   1. installs what is missing (node_modules; the stack script installs Java/Maven/Redis and the Kafka jars)
#   2. starts (or reuses) the local stack: Kafka, Redis, the stand-in schema registry (deploy/local/stack.sh)
#   3. starts the detector (`drift-detector run`, deploy/local/demo-config.yaml: 500-event windows,
#      3 warm-up windows), the watcher (prints drift events and retrain requests) and the producer
#      (3 models, DEMO_RATE events/s; fraud-scorer as Avro, the others as JSON; after
#      DEMO_DRIFT_AFTER_WINDOWS windows fraud-scorer's `amount` shifts +0.5σ in log space, ×1.6, for
#      DEMO_DRIFT_WINDOWS windows, then returns to normal)
#   4. on Ctrl-C (or after DEMO_DURATION_SECONDS) stops everything it started, the stack included
#      when it was not running before.
#
# Environment: DEMO_DURATION_SECONDS (unset: until Ctrl-C), DEMO_RATE (2000), DEMO_DRIFT_AFTER_WINDOWS (10),
# DEMO_DRIFT_WINDOWS (40; 0 = the drift stays),
# METRICS_PORT (9464), DEMO_RUN_ID (a timestamp; names this run's topics, group and Redis keys),
# DEMO_KEEP_STACK=1 (leave the stack running at the end), plus stack.sh's KAFKA_PORT, REDIS_PORT, …
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"
export STACK_DIR
LOG_DIR="$STACK_DIR/demo"
RATE="${DEMO_RATE:-2000}"
DRIFT_AFTER_WINDOWS="${DEMO_DRIFT_AFTER_WINDOWS:-10}"
DRIFT_WINDOWS="${DEMO_DRIFT_WINDOWS:-40}"
METRICS_PORT="${METRICS_PORT:-9464}"
RUN_ID="${DEMO_RUN_ID:-$(date +%Y%m%d-%H%M%S)}"
CONFIG="$REPO_ROOT/deploy/local/demo-config.yaml"

say() { printf '[demo] %s\n' "$*" >&2; }
die() { printf '[demo] ERROR: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "node (>= 20) is required"
if [ ! -x node_modules/.bin/tsx ]; then
  say "node_modules missing: npm ci"
  npm ci --no-audit --no-fund >&2 || die "npm ci failed"
fi

mkdir -p "$LOG_DIR"
PIDS=()          # detector, watcher, producer, tail — everything this script starts
STACK_STARTED=0  # 1 when the stack was not up before and this script started it
CLEANED=0

stop_pid() { # name pid: SIGTERM, wait up to 15 s, then SIGKILL
  local name="$1" pid="$2" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  say "$name (pid $pid) did not stop within 15 s, killing"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  [ "$CLEANED" -eq 1 ] && return
  CLEANED=1
  trap - INT TERM EXIT
  say "stopping the demo"
  # Producer first (no new input), then the detector (finishes its chunk, commits), then the watcher.
  [ -n "${PRODUCER_PID:-}" ] && stop_pid producer "$PRODUCER_PID"
  [ -n "${DETECTOR_PID:-}" ] && stop_pid detector "$DETECTOR_PID"
  sleep 1 # let the watcher print what the detector published last
  for pid in "${PIDS[@]}"; do stop_pid process "$pid"; done
  if [ -f "$LOG_DIR/watch.log" ]; then
    local drift retrain fraud
    drift=$(grep -c ' DRIFT ' "$LOG_DIR/watch.log" || true)
    retrain=$(grep -c ' RETRAIN ' "$LOG_DIR/watch.log" || true)
    fraud=$(grep ' DRIFT ' "$LOG_DIR/watch.log" | grep -c 'fraud-scorer@' || true)
    say "summary: $drift drift events ($fraud for fraud-scorer), $retrain retrain requests (all in $LOG_DIR/watch.log)"
  fi
  if [ "$STACK_STARTED" -eq 1 ] && [ "${DEMO_KEEP_STACK:-0}" != "1" ]; then
    bash "$REPO_ROOT/deploy/local/stack.sh" stop || true
  else
    say "the stack keeps running (it was running before the demo, or DEMO_KEEP_STACK=1); stop it with: bash deploy/local/stack.sh stop"
  fi
  say "logs: $LOG_DIR/{detector,producer,watch}.log"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

# ---------------------------------------------------------------- stack

if bash "$REPO_ROOT/deploy/local/stack.sh" status 2>/dev/null | grep -q '^kafka *up'; then
  say "the local stack is already running: reusing it (and leaving it running at the end)"
else
  STACK_STARTED=1
fi
say "starting the local stack (first run: installs packages and downloads the Kafka jars, a few minutes)"
STACK_ENV="$(bash "$REPO_ROOT/deploy/local/stack.sh" start)" || die "the local stack did not start (see the messages above)"
eval "$STACK_ENV"

# This run's own topics, consumer group and Redis keys: every demo starts from empty state.
export METRICS_PORT
export DRIFT_DETECTOR__kafka__groupId="drift-detector-demo-$RUN_ID"
export DRIFT_DETECTOR__kafka__topics__predictions="demo-$RUN_ID.predictions"
export DRIFT_DETECTOR__kafka__topics__outcomes="demo-$RUN_ID.outcomes"
export DRIFT_DETECTOR__kafka__topics__drift="demo-$RUN_ID.drift-events"
export DRIFT_DETECTOR__kafka__topics__retrain="demo-$RUN_ID.retrain-requests"
export DRIFT_DETECTOR__kafka__topics__deadLetter="demo-$RUN_ID.predictions.dlq"
export DRIFT_DETECTOR__redis__keyPrefix="dd-demo-$RUN_ID"

# ---------------------------------------------------------------- detector, watcher, producer

: >"$LOG_DIR/detector.log"
: >"$LOG_DIR/producer.log"
: >"$LOG_DIR/watch.log"

say "starting the detector (metrics on :$METRICS_PORT)"
# setsid: Ctrl-C reaches only this script, which then stops the children in order (producer first).
setsid node src/cli/bin.js run --config "$CONFIG" >>"$LOG_DIR/detector.log" 2>&1 </dev/null &
DETECTOR_PID=$!
PIDS+=("$DETECTOR_PID")

deadline=$((SECONDS + 90))
until curl -fsS -o /dev/null "http://127.0.0.1:$METRICS_PORT/readyz" 2>/dev/null; do
  if ! kill -0 "$DETECTOR_PID" 2>/dev/null; then
    tail -n 20 "$LOG_DIR/detector.log" >&2 || true
    die "the detector exited during startup (log: $LOG_DIR/detector.log)"
  fi
  [ "$SECONDS" -ge "$deadline" ] && { tail -n 20 "$LOG_DIR/detector.log" >&2 || true; die "the detector was not ready within 90 s (log: $LOG_DIR/detector.log)"; }
  sleep 0.5
done
say "detector ready"

setsid node src/cli/bin.js demo watch --config "$CONFIG" --from-beginning >>"$LOG_DIR/watch.log" 2>&1 </dev/null &
PIDS+=("$!")
DRIFT_ARGS=(--drift-after-windows "$DRIFT_AFTER_WINDOWS")
[ "$DRIFT_WINDOWS" != "0" ] && DRIFT_ARGS+=(--drift-windows "$DRIFT_WINDOWS")
setsid node src/cli/bin.js demo produce --config "$CONFIG" --rate "$RATE" "${DRIFT_ARGS[@]}" >>"$LOG_DIR/producer.log" 2>&1 </dev/null &
PRODUCER_PID=$!
PIDS+=("$PRODUCER_PID")

cat >&2 <<EOF
[demo] ------------------------------------------------------------------------------------------------
[demo] run $RUN_ID: producing $RATE events/s to demo-$RUN_ID.predictions (fraud-scorer, churn-model, eta-regressor)
[demo] after $DRIFT_AFTER_WINDOWS windows of fraud-scorer (500 events each), its feature 'amount' drifts +0.5σ (×1.6)$([ "$DRIFT_WINDOWS" != "0" ] && echo " for $DRIFT_WINDOWS windows, then returns to normal")
[demo] metrics:  http://127.0.0.1:$METRICS_PORT/metrics   (health: /healthz, /readyz)
[demo] logs:     $LOG_DIR/detector.log  producer.log  watch.log
[demo] drift events and retrain requests appear below as they are published; Ctrl-C stops everything
[demo] ------------------------------------------------------------------------------------------------
EOF

tail -n +1 -F "$LOG_DIR/watch.log" 2>/dev/null &
PIDS+=("$!")

if [ -n "${DEMO_DURATION_SECONDS:-}" ]; then
  end=$((SECONDS + DEMO_DURATION_SECONDS))
  while [ "$SECONDS" -lt "$end" ]; do
    kill -0 "$DETECTOR_PID" 2>/dev/null || die "the detector stopped unexpectedly (log: $LOG_DIR/detector.log)"
    sleep 1
  done
  say "DEMO_DURATION_SECONDS=$DEMO_DURATION_SECONDS reached"
else
  while kill -0 "$DETECTOR_PID" 2>/dev/null; do sleep 1; done
  die "the detector stopped unexpectedly (log: $LOG_DIR/detector.log)"
fi
