#!/usr/bin/env bash
# A secured local stack beside the plain one (deploy/local/stack.sh), without Docker:
#   - Kafka with a SASL_SSL listener: TLS with a client certificate required (mutual TLS) and
#     SASL/SCRAM-SHA-512 (user created at storage format time); a PLAINTEXT listener for the broker's own
#     inter-broker traffic only, on its own port
#   - Redis with TLS only (rediss://) and an ACL user with a password; the default user is disabled
#   - a self-signed CA, server and client certificates (openssl), generated once into the state directory
#   - random passwords, written to files (secrets/) — nothing secret is printed
#
#   eval "$(deploy/local/secure-stack.sh start)"   # exports SECURE_* addresses and file paths
#   deploy/local/secure-stack.sh stop
#
# Environment: SECURE_KAFKA_PORT (29092; the internal listener is +1, the controller +2),
# SECURE_REDIS_PORT (26379), STACK_DIR (<repo>/.stack; state in $STACK_DIR/secure), and stack.sh's
# KAFKA_VERSION, KAFKA_HEAP, STACK_START_TIMEOUT.
set -euo pipefail

SECURE_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=stack.sh
source "$SECURE_SCRIPT_DIR/stack.sh"

SECURE_KAFKA_PORT="${SECURE_KAFKA_PORT:-29092}"
SECURE_INTERNAL_PORT="$((SECURE_KAFKA_PORT + 1))"
SECURE_CONTROLLER_PORT="$((SECURE_KAFKA_PORT + 2))"
SECURE_REDIS_PORT="${SECURE_REDIS_PORT:-26379}"
SECURE_DIR="$STACK_DIR/secure"
TLS_DIR="$SECURE_DIR/tls"
SECRETS_DIR="$SECURE_DIR/secrets"
# stack.sh's kafka_java_opts and log helpers read KAFKA_DIR
KAFKA_DIR="$SECURE_DIR/kafka"
SECURE_REDIS_DIR="$SECURE_DIR/redis"
KAFKA_USER="drift-detector"
REDIS_USER="drift-detector"

ensure_secure_tools() {
  ensure_tools
  command -v openssl >/dev/null || apt_install openssl
}

random_secret() { openssl rand -hex 24; }

# CA, a server certificate for 127.0.0.1/localhost (Kafka and Redis), a client certificate; a PKCS12
# keystore for the broker. Generated once per state directory.
generate_tls() {
  [ -f "$TLS_DIR/.complete" ] && return
  log "secure: generating a self-signed CA and certificates in ${TLS_DIR#"$REPO_ROOT"/}"
  rm -rf "$TLS_DIR" && mkdir -p "$TLS_DIR" "$SECRETS_DIR"
  chmod 700 "$SECRETS_DIR"
  (
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=drift-detector local CA" \
      -keyout ca.key -out ca.pem 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.pem 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -subj "/CN=drift-detector" -keyout client.key -out client.csr 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext -out client.pem 2>/dev/null
    random_secret >"$SECRETS_DIR/keystore-password"
    openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name broker \
      -passout "file:$SECRETS_DIR/keystore-password" -out broker.p12
    chmod 600 ./*.key broker.p12
  )
  random_secret >"$SECRETS_DIR/kafka-password"
  random_secret >"$SECRETS_DIR/redis-password"
  chmod 600 "$SECRETS_DIR"/*
  touch "$TLS_DIR/.complete"
}

write_secure_kafka_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  # stack.sh writes the plain broker's config and logging; reuse them, then replace the listeners
  write_kafka_config
  local keystore_password
  keystore_password="$(cat "$SECRETS_DIR/keystore-password")"
  sed -i -e '/^listeners=/d' -e '/^advertised.listeners=/d' -e '/^inter.broker.listener.name=/d' \
    -e '/^listener.security.protocol.map=/d' -e '/^controller.quorum.voters=/d' "$KAFKA_DIR/server.properties"
  cat >>"$KAFKA_DIR/server.properties" <<PROPS

# ---- secured listener (deploy/local/secure-stack.sh)
controller.quorum.voters=1@127.0.0.1:$SECURE_CONTROLLER_PORT
listeners=SECURE://127.0.0.1:$SECURE_KAFKA_PORT,INTERNAL://127.0.0.1:$SECURE_INTERNAL_PORT,CONTROLLER://127.0.0.1:$SECURE_CONTROLLER_PORT
advertised.listeners=SECURE://127.0.0.1:$SECURE_KAFKA_PORT,INTERNAL://127.0.0.1:$SECURE_INTERNAL_PORT
listener.security.protocol.map=SECURE:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=INTERNAL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.secure.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.secure.ssl.client.auth=required
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/broker.p12
ssl.keystore.password=$keystore_password
ssl.key.password=$keystore_password
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
ssl.endpoint.identification.algorithm=https
PROPS
  chmod 600 "$KAFKA_DIR/server.properties"
}

secure_kafka_ready() {
  port_open "$SECURE_KAFKA_PORT" && "$REPO_ROOT/node_modules/.bin/tsx" "$REPO_ROOT/deploy/local/kafka-ready.ts" "127.0.0.1:$SECURE_INTERNAL_PORT" >/dev/null 2>&1
}

start_secure_kafka() {
  local pidfile="$KAFKA_DIR/kafka.pid"
  if pid_alive "$pidfile" && secure_kafka_ready; then
    log "secure kafka: already running on 127.0.0.1:$SECURE_KAFKA_PORT, reusing"
    return
  fi
  port_open "$SECURE_KAFKA_PORT" && die "port $SECURE_KAFKA_PORT is in use (set SECURE_KAFKA_PORT)"
  ensure_kafka_libs
  write_secure_kafka_config
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(node -e 'const c=require("node:crypto");let id;do{id=c.randomBytes(16).toString("base64url")}while(id.startsWith("-"));process.stdout.write(id)')"
    log "secure kafka: formatting KRaft storage with SCRAM-SHA-512 user $KAFKA_USER"
    # the SCRAM credential is created at format time (no broker is needed to add it)
    # shellcheck disable=SC2046
    java $(kafka_java_opts) -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      --add-scram "SCRAM-SHA-512=[name=$KAFKA_USER,password=$(cat "$SECRETS_DIR/kafka-password")]" >"$KAFKA_DIR/format.out" 2>&1 \
      || { cat "$KAFKA_DIR/format.out" >&2; die "secure kafka storage format failed"; }
  fi
  log "secure kafka: starting on 127.0.0.1:$SECURE_KAFKA_PORT (SASL_SSL, client certificate required)"
  # shellcheck disable=SC2046
  setsid nohup java $(kafka_java_opts) -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >"$KAFKA_DIR/broker.out" 2>&1 </dev/null &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + START_TIMEOUT))
  until secure_kafka_ready; do
    pid_alive "$pidfile" || { kafka_log_tail; rm -f "$pidfile"; die "secure kafka exited during startup"; }
    [ "$SECONDS" -lt "$deadline" ] || { kafka_log_tail; die "secure kafka did not start within ${START_TIMEOUT}s"; }
    sleep 1
  done
  log "secure kafka: ready on 127.0.0.1:$SECURE_KAFKA_PORT"
}

secure_redis_cli() {
  REDISCLI_AUTH="$(cat "$SECRETS_DIR/redis-password")" redis-cli --tls --cacert "$TLS_DIR/ca.pem" \
    -h 127.0.0.1 -p "$SECURE_REDIS_PORT" --user "$REDIS_USER" "$@"
}
secure_redis_ready() { [ "$(secure_redis_cli ping 2>/dev/null)" = "PONG" ]; }

start_secure_redis() {
  local pidfile="$SECURE_REDIS_DIR/redis.pid"
  if secure_redis_ready; then
    log "secure redis: already running on 127.0.0.1:$SECURE_REDIS_PORT, reusing"
    return
  fi
  port_open "$SECURE_REDIS_PORT" && die "port $SECURE_REDIS_PORT is in use (set SECURE_REDIS_PORT)"
  mkdir -p "$SECURE_REDIS_DIR"
  # a config file (not argv): the ACL password must not show in the process list
  cat >"$SECURE_REDIS_DIR/redis.conf" <<CONF
bind 127.0.0.1
port 0
tls-port $SECURE_REDIS_PORT
tls-cert-file $TLS_DIR/server.pem
tls-key-file $TLS_DIR/server.key
tls-ca-cert-file $TLS_DIR/ca.pem
tls-auth-clients optional
daemonize yes
dir $SECURE_REDIS_DIR
pidfile $pidfile
logfile $SECURE_REDIS_DIR/redis.log
save ""
appendonly no
user default off
user $REDIS_USER on >$(cat "$SECRETS_DIR/redis-password") ~* &* +@all
CONF
  chmod 600 "$SECURE_REDIS_DIR/redis.conf"
  log "secure redis: starting on 127.0.0.1:$SECURE_REDIS_PORT (TLS only, ACL user $REDIS_USER)"
  redis-server "$SECURE_REDIS_DIR/redis.conf" >&2 || die "redis-server failed to start (does it support TLS?)"
  local deadline=$((SECONDS + 30))
  until secure_redis_ready; do
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$SECURE_REDIS_DIR/redis.log" >&2; die "secure redis did not answer within 30s"; }
    sleep 0.2
  done
  log "secure redis: ready on 127.0.0.1:$SECURE_REDIS_PORT"
}

cmd_secure_start() {
  ensure_secure_tools
  generate_tls
  start_secure_redis
  start_secure_kafka
  echo "export SECURE_KAFKA_BROKERS=127.0.0.1:$SECURE_KAFKA_PORT"
  echo "export SECURE_KAFKA_INTERNAL_BROKERS=127.0.0.1:$SECURE_INTERNAL_PORT"
  echo "export SECURE_KAFKA_USER=$KAFKA_USER"
  echo "export SECURE_REDIS_URL=rediss://127.0.0.1:$SECURE_REDIS_PORT"
  echo "export SECURE_REDIS_USER=$REDIS_USER"
  echo "export SECURE_TLS_DIR=$TLS_DIR"
  echo "export SECURE_SECRETS_DIR=$SECRETS_DIR"
}

cmd_secure_stop() {
  stop_pidfile "secure kafka" "$KAFKA_DIR/kafka.pid"
  stop_pidfile "secure redis" "$SECURE_REDIS_DIR/redis.pid"
}

case "${1:-}" in
  start) cmd_secure_start ;;
  stop) cmd_secure_stop ;;
  reset)
    cmd_secure_stop
    rm -rf "$SECURE_DIR"
    ;;
  *)
    echo "usage: $0 start|stop|reset" >&2
    exit 2
    ;;
esac
