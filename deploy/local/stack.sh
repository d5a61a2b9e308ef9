#!/usr/bin/env bash
# Local development stack without Docker: a real Apache Kafka broker (KRaft, single node,
# jars from Maven Central), Redis (Debian package) and the development stand-in schema
# registry (test/support/schema-registry.ts).
#
#   eval "$(deploy/local/stack.sh start)"   # start (or reuse) everything, export the addresses
#   deploy/local/stack.sh status
#   deploy/local/stack.sh stop              # stops only what this script started (pidfiles)
#   deploy/local/stack.sh reset             # stop, then delete the state directory
#
# stdout carries only the `export ...` lines; progress goes to stderr.
# Environment: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), REDIS_PORT (16379),
# SCHEMA_REGISTRY_PORT (18081), STACK_DIR (<repo>/.stack), KAFKA_VERSION (4.3.1),
# KAFKA_HEAP (-Xmx512m -Xms128m), STACK_START_TIMEOUT seconds (180), KAFKA_AUTO_CREATE_TOPICS (false).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
REDIS_PORT="${REDIS_PORT:-16379}"
SCHEMA_REGISTRY_PORT="${SCHEMA_REGISTRY_PORT:-18081}"
# Newest Kafka that kafkajs 2.2.4 was verified against (produce, consumer group, admin); see README in this dir.
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
KAFKA_HEAP="${KAFKA_HEAP:--Xmx512m -Xms128m}"
KAFKA_AUTO_CREATE_TOPICS="${KAFKA_AUTO_CREATE_TOPICS:-false}"
START_TIMEOUT="${STACK_START_TIMEOUT:-180}"
CACHE_DIR="$REPO_ROOT/deploy/local/.cache"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"

KAFKA_DIR="$STACK_DIR/kafka"
REDIS_DIR="$STACK_DIR/redis"
REGISTRY_DIR="$STACK_DIR/schema-registry"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- prerequisites

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "missing $*; install it with your package manager"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    $sudo apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

ensure_tools() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v curl >/dev/null || missing+=(curl)
  command -v node >/dev/null || die "node (>= 20) is required"
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  if [ ! -x "$REPO_ROOT/node_modules/.bin/tsx" ]; then
    log "node_modules missing: npm ci"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund >&2) || die "npm ci failed"
  fi
}

ensure_kafka_libs() {
  if [ -f "$KAFKA_LIBS/.complete" ]; then return; fi
  local profile="kafka4"
  case "$KAFKA_VERSION" in 3.*) profile="kafka3" ;; esac
  log "downloading Apache Kafka $KAFKA_VERSION jars from Maven Central into ${KAFKA_LIBS#"$REPO_ROOT"/}"
  local tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"
  mvn -q -B -Dstyle.color=never -f "$REPO_ROOT/deploy/local/kafka/pom.xml" -P "$profile" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >&2 \
    || { rm -rf "$tmp"; die "maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION"; }
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
}

# ---------------------------------------------------------------- process helpers

pid_alive() { # pidfile -> 0 if the process in it runs
  local pidfile="$1" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_pidfile() { # name pidfile
  local name="$1" pidfile="$2" pid i
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    log "$name: not running (nothing started by this script)"
    return
  fi
  pid="$(cat "$pidfile")"
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: did not stop within 30 s, killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------- Kafka

kafka_ready() {
  port_open "$KAFKA_PORT" && "$REPO_ROOT/node_modules/.bin/tsx" "$REPO_ROOT/deploy/local/kafka-ready.ts" "127.0.0.1:$KAFKA_PORT" >/dev/null 2>&1
}

write_kafka_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  # Single node in combined mode; everything sized for a 2-core development machine.
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data

num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=8388608

num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Topics are created explicitly (the detector's topic admin, the tests); a typo must not create one.
auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS
delete.topic.enable=true

log.segment.bytes=16777216
log.retention.hours=24
log.retention.bytes=268435456
log.retention.check.interval.ms=60000
EOF
  if [ "${KAFKA_VERSION%%.*}" -ge 4 ]; then
    cat >"$KAFKA_DIR/log4j2.properties" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $KAFKA_DIR/logs/server.log
appender.file.filePattern = $KAFKA_DIR/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 10MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
  else
    cat >"$KAFKA_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KAFKA_DIR/logs/server.log
log4j.appender.file.MaxFileSize=10MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF
  fi
}

kafka_java_opts() {
  local logging
  if [ "${KAFKA_VERSION%%.*}" -ge 4 ]; then
    logging="-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2.properties"
  else
    logging="-Dlog4j.configuration=file:$KAFKA_DIR/log4j.properties"
  fi
  # shellcheck disable=SC2086
  echo $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dkafka.logs.dir="$KAFKA_DIR/logs" "$logging"
}

kafka_log_tail() {
  log "---- last lines of $KAFKA_DIR/logs/server.log ----"
  tail -n 40 "$KAFKA_DIR/logs/server.log" >&2 2>/dev/null || true
  log "---- last lines of $KAFKA_DIR/broker.out ----"
  tail -n 20 "$KAFKA_DIR/broker.out" >&2 2>/dev/null || true
}

start_kafka() {
  local pidfile="$KAFKA_DIR/kafka.pid"
  if pid_alive "$pidfile" || port_open "$KAFKA_PORT"; then
    if kafka_ready; then
      log "kafka: already running on 127.0.0.1:$KAFKA_PORT, reusing"
      return
    fi
    if ! pid_alive "$pidfile"; then
      die "port $KAFKA_PORT is in use by something that is not an answering Kafka broker (set KAFKA_PORT)"
    fi
    log "kafka: pid $(cat "$pidfile") runs but does not answer yet; waiting"
  else
    ensure_kafka_libs
    write_kafka_config
    if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
      local cluster_id
      # A base64url UUID; one starting with "-" would be read as an option by the storage tool.
      cluster_id="$(node -e 'const c=require("node:crypto");let id;do{id=c.randomBytes(16).toString("base64url")}while(id.startsWith("-"));process.stdout.write(id)')"
      log "kafka: formatting KRaft storage (cluster id $cluster_id)"
      # shellcheck disable=SC2046
      java $(kafka_java_opts) -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.out" 2>&1 \
        || { cat "$KAFKA_DIR/format.out" >&2; die "kafka storage format failed"; }
    fi
    log "kafka: starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
    # setsid: the broker outlives the shell that started it, like the daemonised Redis.
    # shellcheck disable=SC2046
    setsid nohup java $(kafka_java_opts) -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
      >"$KAFKA_DIR/broker.out" 2>&1 </dev/null &
    echo $! >"$pidfile"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until kafka_ready; do
    if ! pid_alive "$pidfile"; then
      kafka_log_tail
      rm -f "$pidfile"
      die "kafka broker exited during startup"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kafka_log_tail
      die "kafka broker did not answer on 127.0.0.1:$KAFKA_PORT within ${START_TIMEOUT}s (still running as pid $(cat "$pidfile"); 'stack.sh stop' stops it)"
    fi
    sleep 1
  done
  log "kafka: ready on 127.0.0.1:$KAFKA_PORT"
}

# ---------------------------------------------------------------- Redis

redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

start_redis() {
  local pidfile="$REDIS_DIR/redis.pid"
  if redis_ready; then
    log "redis: already running on 127.0.0.1:$REDIS_PORT, reusing"
    return
  fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is in use by something that is not Redis (set REDIS_PORT)"
  mkdir -p "$REDIS_DIR"
  log "redis: starting $(redis-server --version | awk '{print $3}' | sed 's/^v=//') on 127.0.0.1:$REDIS_PORT"
  # No persistence: the stack is for development and tests; `reset` wipes it anyway.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --dir "$REDIS_DIR" --pidfile "$pidfile" --logfile "$REDIS_DIR/redis.log" \
    --save "" --appendonly no >&2 || die "redis-server failed to start"
  local deadline=$((SECONDS + 30))
  until redis_ready; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
      die "redis did not answer on 127.0.0.1:$REDIS_PORT within 30s"
    fi
    sleep 0.2
  done
  log "redis: ready on 127.0.0.1:$REDIS_PORT"
}

# ---------------------------------------------------------------- schema registry (stand-in)

registry_ready() { curl -fsS -o /dev/null "http://127.0.0.1:$SCHEMA_REGISTRY_PORT/subjects" 2>/dev/null; }

start_registry() {
  local pidfile="$REGISTRY_DIR/registry.pid"
  if registry_ready; then
    log "schema registry: already running on 127.0.0.1:$SCHEMA_REGISTRY_PORT, reusing"
    return
  fi
  port_open "$SCHEMA_REGISTRY_PORT" && die "port $SCHEMA_REGISTRY_PORT is in use by something that is not a schema registry (set SCHEMA_REGISTRY_PORT)"
  mkdir -p "$REGISTRY_DIR"
  log "schema registry: starting the development stand-in on 127.0.0.1:$SCHEMA_REGISTRY_PORT"
  (cd "$REPO_ROOT" && exec setsid nohup node --import tsx test/support/schema-registry.ts \
    --port "$SCHEMA_REGISTRY_PORT" --data-file "$REGISTRY_DIR/schemas.json" \
    >"$REGISTRY_DIR/registry.log" 2>&1 </dev/null) &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + 30))
  until registry_ready; do
    if ! pid_alive "$pidfile" || [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$REGISTRY_DIR/registry.log" >&2 2>/dev/null || true
      die "schema registry did not answer on 127.0.0.1:$SCHEMA_REGISTRY_PORT"
    fi
    sleep 0.2
  done
  log "schema registry: ready on 127.0.0.1:$SCHEMA_REGISTRY_PORT"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  ensure_tools
  mkdir -p "$STACK_DIR"
  local started=$SECONDS
  # Redis and the registry come up while the JVM is still starting.
  start_redis
  start_registry
  start_kafka
  log "stack ready in $((SECONDS - started))s (state in $STACK_DIR)"
  echo "export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  echo "export SCHEMA_REGISTRY_URL=http://127.0.0.1:$SCHEMA_REGISTRY_PORT"
}

cmd_stop() {
  stop_pidfile "schema registry" "$REGISTRY_DIR/registry.pid"
  stop_pidfile "kafka" "$KAFKA_DIR/kafka.pid"
  stop_pidfile "redis" "$REDIS_DIR/redis.pid"
}

cmd_status() {
  local state
  if kafka_ready; then state="up"; else state="down"; fi
  printf 'kafka            %-5s 127.0.0.1:%s  pid %s\n' "$state" "$KAFKA_PORT" "$(cat "$KAFKA_DIR/kafka.pid" 2>/dev/null || echo -)"
  if redis_ready; then state="up"; else state="down"; fi
  printf 'redis            %-5s 127.0.0.1:%s  pid %s\n' "$state" "$REDIS_PORT" "$(cat "$REDIS_DIR/redis.pid" 2>/dev/null || echo -)"
  if registry_ready; then state="up"; else state="down"; fi
  printf 'schema-registry  %-5s 127.0.0.1:%s  pid %s\n' "$state" "$SCHEMA_REGISTRY_PORT" "$(cat "$REGISTRY_DIR/registry.pid" 2>/dev/null || echo -)"
}

# Sourced (deploy/local/secure-stack.sh reuses the functions above): define, do not run.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset)
    cmd_stop
    log "removing $STACK_DIR"
    rm -rf "$STACK_DIR"
    ;;
  *)
    echo "usage: $0 start|stop|status|reset" >&2
    exit 2
    ;;
esac
