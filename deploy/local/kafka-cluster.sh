#!/usr/bin/env bash
# A production-shaped Kafka beside the plain stack (deploy/local/stack.sh), without Docker: three KRaft
# nodes (each broker and controller, a quorum of three), replication factor 3 and min.insync.replicas 2
# by default, unclean leader election off. One node can die and the cluster keeps every partition
# writable; with two down, acks=all writes fail (NOT_ENOUGH_REPLICAS) until one comes back.
#
#   eval "$(deploy/local/kafka-cluster.sh start)"   # exports CLUSTER_KAFKA_BROKERS (all three nodes)
#   deploy/local/kafka-cluster.sh kill N [N]        # SIGKILL node N (1-3), or two at once: a crash, no controlled shutdown
#   deploy/local/kafka-cluster.sh stop-node N       # SIGTERM node N and wait: a controlled shutdown
#   deploy/local/kafka-cluster.sh start-node N [N]  # start node N (or two) again and wait until they answer
#   deploy/local/kafka-cluster.sh status | stop | reset
#
# Environment: CLUSTER_KAFKA_PORT (29292; node N listens on +2(N-1), its controller on the port after),
# STACK_DIR (<repo>/.stack; state in $STACK_DIR/cluster), and stack.sh's KAFKA_VERSION, KAFKA_HEAP
# (-Xmx384m here: three JVMs share the machine), STACK_START_TIMEOUT.
set -euo pipefail

CLUSTER_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_HEAP="${KAFKA_HEAP:--Xmx384m -Xms96m}"
# shellcheck source=stack.sh
source "$CLUSTER_SCRIPT_DIR/stack.sh"

CLUSTER_KAFKA_PORT="${CLUSTER_KAFKA_PORT:-29292}"
CLUSTER_DIR="$STACK_DIR/cluster"
NODES=(1 2 3)

node_port() { echo $((CLUSTER_KAFKA_PORT + 2 * ($1 - 1))); }
node_controller_port() { echo $(($(node_port "$1") + 1)); }
node_dir() { echo "$CLUSTER_DIR/node-$1"; }
node_pidfile() { echo "$(node_dir "$1")/kafka.pid"; }

check_node() {
  case "${1:-}" in 1 | 2 | 3) ;; *) die "a node number is 1, 2 or 3 (got '${1:-}')" ;; esac
}

voters() {
  local n out=""
  for n in "${NODES[@]}"; do out+="${out:+,}$n@127.0.0.1:$(node_controller_port "$n")"; done
  echo "$out"
}

brokers() {
  local n out=""
  for n in "${NODES[@]}"; do out+="${out:+,}127.0.0.1:$(node_port "$n")"; done
  echo "$out"
}

write_node_config() { # node
  local n="$1"
  # stack.sh writes a single node's config and logging into KAFKA_DIR from KAFKA_PORT and
  # KAFKA_CONTROLLER_PORT; make it one node of three.
  KAFKA_DIR="$(node_dir "$n")" KAFKA_PORT="$(node_port "$n")" KAFKA_CONTROLLER_PORT="$(node_controller_port "$n")" write_kafka_config
  local props
  props="$(node_dir "$n")/server.properties"
  sed -i -e '/^node.id=/d' -e '/^controller.quorum.voters=/d' -e '/replication.factor=/d' -e '/min.isr=/d' \
    -e '/^min.insync.replicas=/d' "$props"
  cat >>"$props" <<PROPS

# ---- one node of three (deploy/local/kafka-cluster.sh)
node.id=$n
controller.quorum.voters=$(voters)
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
# a crashed node's partitions move to the others within seconds
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
PROPS
}

node_ready() { # node [brokers expected in metadata]
  port_open "$(node_port "$1")" \
    && "$REPO_ROOT/node_modules/.bin/tsx" "$REPO_ROOT/deploy/local/kafka-ready.ts" "127.0.0.1:$(node_port "$1")" "${2:-1}" >/dev/null 2>&1
}

launch_node() { # node: start the JVM in the background (storage formatted beforehand)
  local n="$1" dir
  dir="$(node_dir "$n")"
  port_open "$(node_port "$n")" && die "port $(node_port "$n") is in use (set CLUSTER_KAFKA_PORT)"
  log "cluster: starting node $n on 127.0.0.1:$(node_port "$n") (controller :$(node_controller_port "$n"))"
  # shellcheck disable=SC2046
  KAFKA_DIR="$dir" setsid nohup java $(KAFKA_DIR="$dir" kafka_java_opts) -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/broker.out" 2>&1 </dev/null &
  echo $! >"$(node_pidfile "$n")"
}

wait_node() { # node [brokers expected in metadata]
  local n="$1" deadline=$((SECONDS + START_TIMEOUT))
  until node_ready "$n" "${2:-1}"; do
    if ! pid_alive "$(node_pidfile "$n")"; then
      KAFKA_DIR="$(node_dir "$n")" kafka_log_tail
      die "cluster: node $n exited during startup"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      KAFKA_DIR="$(node_dir "$n")" kafka_log_tail
      die "cluster: node $n did not answer within ${START_TIMEOUT}s"
    fi
    sleep 1
  done
}

cmd_cluster_start() {
  ensure_tools
  ensure_kafka_libs
  local n running=0
  for n in "${NODES[@]}"; do pid_alive "$(node_pidfile "$n")" && running=$((running + 1)); done
  if [ "$running" -eq "${#NODES[@]}" ] && node_ready 1 3; then
    log "cluster: already running, reusing"
  else
    [ "$running" -eq 0 ] || die "cluster: $running of 3 nodes run; 'kafka-cluster.sh stop' first"
    local cluster_id=""
    [ -f "$CLUSTER_DIR/cluster-id" ] && cluster_id="$(cat "$CLUSTER_DIR/cluster-id")"
    if [ -z "$cluster_id" ]; then
      mkdir -p "$CLUSTER_DIR"
      cluster_id="$(node -e 'const c=require("node:crypto");let id;do{id=c.randomBytes(16).toString("base64url")}while(id.startsWith("-"));process.stdout.write(id)')"
      echo "$cluster_id" >"$CLUSTER_DIR/cluster-id"
    fi
    for n in "${NODES[@]}"; do
      write_node_config "$n"
      if [ ! -f "$(node_dir "$n")/data/meta.properties" ]; then
        log "cluster: formatting node $n (cluster id $cluster_id)"
        # shellcheck disable=SC2046
        java $(KAFKA_DIR="$(node_dir "$n")" kafka_java_opts) -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
          -t "$cluster_id" -c "$(node_dir "$n")/server.properties" >"$(node_dir "$n")/format.out" 2>&1 \
          || { cat "$(node_dir "$n")/format.out" >&2; die "cluster: storage format of node $n failed"; }
      fi
    done
    # all three at once: the quorum needs two voters before any node answers
    for n in "${NODES[@]}"; do launch_node "$n"; done
    for n in "${NODES[@]}"; do wait_node "$n" 3; done
    log "cluster: ready, three nodes on $(brokers)"
  fi
  echo "export CLUSTER_KAFKA_BROKERS=$(brokers)"
  for n in "${NODES[@]}"; do echo "export CLUSTER_KAFKA_NODE_${n}=127.0.0.1:$(node_port "$n")"; done
}

cmd_kill_nodes() {
  [ "$#" -gt 0 ] || die "kill: which node (1, 2 or 3)?"
  local n
  for n in "$@"; do
    check_node "$n"
    pid_alive "$(node_pidfile "$n")" || die "cluster: node $n is not running"
  done
  for n in "$@"; do
    log "cluster: SIGKILL node $n (pid $(cat "$(node_pidfile "$n")"))"
    kill -KILL "$(cat "$(node_pidfile "$n")")"
  done
  for n in "$@"; do
    while pid_alive "$(node_pidfile "$n")"; do sleep 0.1; done
    rm -f "$(node_pidfile "$n")"
  done
}

cmd_stop_node() {
  check_node "$1"
  stop_pidfile "cluster node $1" "$(node_pidfile "$1")"
}

cmd_start_nodes() {
  [ "$#" -gt 0 ] || die "start-node: which node (1, 2 or 3)?"
  local n
  for n in "$@"; do
    check_node "$n"
    if pid_alive "$(node_pidfile "$n")"; then
      log "cluster: node $n already runs"
    else
      write_node_config "$n"
      launch_node "$n"
    fi
  done
  for n in "$@"; do
    wait_node "$n"
    log "cluster: node $n answers"
  done
}

cmd_cluster_status() {
  local n state
  for n in "${NODES[@]}"; do
    if node_ready "$n"; then state="up"; else state="down"; fi
    printf 'node %s  %-5s 127.0.0.1:%s  pid %s\n' "$n" "$state" "$(node_port "$n")" "$(cat "$(node_pidfile "$n")" 2>/dev/null || echo -)"
  done
}

cmd_cluster_stop() {
  # All at once: the last node of three, alone, cannot finish a controlled shutdown (no quorum).
  local n pids=()
  for n in "${NODES[@]}"; do
    stop_pidfile "cluster node $n" "$(node_pidfile "$n")" &
    pids+=("$!")
  done
  wait "${pids[@]}"
}

case "${1:-}" in
  start) cmd_cluster_start ;;
  kill) shift && cmd_kill_nodes "$@" ;;
  stop-node) cmd_stop_node "${2:-}" ;;
  start-node) shift && cmd_start_nodes "$@" ;;
  status) cmd_cluster_status ;;
  stop) cmd_cluster_stop ;;
  reset)
    cmd_cluster_stop
    rm -rf "$CLUSTER_DIR"
    ;;
  *)
    echo "usage: $0 start|kill N|stop-node N|start-node N|status|stop|reset" >&2
    exit 2
    ;;
esac
