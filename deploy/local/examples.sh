#!/usr/bin/env bash
# Toolchains of the producer examples (deploy/examples/) and of the peer benchmarks (test/bench/peers*.bench.ts),
# installed when missing. Each `ensure` prints the one line the caller needs on stdout (progress on stderr):
#   deploy/local/examples.sh ensure kcat     # apt kcat                         → path of kcat
#   deploy/local/examples.sh ensure python   # venv + confluent-kafka (Avro, JSON Schema and Protobuf serializers,
#                                            #   grpcio-tools for protoc) and
#                                            #   kafka-python and aiokafka from PyPI → path of the venv's python
#   deploy/local/examples.sh ensure java     # JDK (apt) + the Kafka jars from Maven Central (the same
#                                            #   deploy/local/.cache as stack.sh) → the classpath
#   deploy/local/examples.sh ensure java-apicurio  # the JDK + Apicurio's Avro, Protobuf and JSON Schema serdes 2.4.2.Final and what they
#                                            #   brings, from Maven Central → the classpath
#   deploy/local/examples.sh ensure go       # go + franz-go, hamba/avro, protobuf and protocompile from the module proxy (go.sum pinned), built
#                                            #   → path of the example's binary
#   deploy/local/examples.sh ensure peer-river  # venv + River from PyPI (test/bench/peers/requirements-river.txt)
#                                            #   → path of the venv's python
#   deploy/local/examples.sh ensure peer-alibi  # venv + alibi-detect from PyPI (test/bench/peers/requirements-alibi.txt;
#                                            #   its own venv: its numpy pin conflicts with River's) → path of the venv's python
#   deploy/local/examples.sh ensure wasm-clang  # apt clang + lld (wasm-ld), for test/bench/wasm-decode-probe.bench.ts
#                                            #   → path of clang
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="$REPO_ROOT/deploy/local/.cache"
VENV="$CACHE_DIR/venv"
# confluent-kafka with its schema-registry, Avro, JSON and Protobuf extras (AvroSerializer needs fastavro, httpx, …;
# JSONSerializer jsonschema; ProtobufSerializer protobuf, and grpcio-tools' protoc compiles the .proto), and the
# pure-Python clients kafka-python and aiokafka, with the codecs they compress with
PYTHON_REQUIREMENTS=("confluent-kafka[avro,json,protobuf,schemaregistry]==2.16.1" "grpcio-tools==1.85.1" "kafka-python==2.2.21" "aiokafka==0.14.0" "lz4==4.4.5" "zstandard==0.25.0" "cramjam==2.14.0" "python-snappy==0.7.3")

log() { printf '[examples] %s\n' "$*" >&2; }

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2 \
    || { $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2; }
}

ensure_wasm_clang() {
  { command -v clang >/dev/null && command -v wasm-ld >/dev/null; } || apt_install clang lld
  command -v wasm-ld >/dev/null || { echo "lld is installed but wasm-ld is not on PATH" >&2; exit 1; }
  command -v clang
}

ensure_kcat() {
  command -v kcat >/dev/null || command -v kafkacat >/dev/null || apt_install kcat
  command -v kcat || command -v kafkacat
}

# python_venv <venv> <modules it must import> <pip arguments…>: the venv, made and installed into when it
# cannot import the modules yet; prints the path of its python
python_venv() {
  local venv="$1" imports="$2"
  shift 2
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
    command -v python3 >/dev/null || apt_install python3 python3-venv
    log "python venv ${venv#"$REPO_ROOT"/} with $*"
    mkdir -p "$CACHE_DIR"
    python3 -m venv "$venv" >&2 || { apt_install python3-venv && python3 -m venv "$venv" >&2; }
    "$venv/bin/pip" install -q --disable-pip-version-check "$@" >&2
  fi
  echo "$venv/bin/python"
}

ensure_python() {
  python_venv "$VENV" 'confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.json_schema, confluent_kafka.schema_registry.protobuf, grpc_tools.protoc, kafka, aiokafka, lz4, zstandard, cramjam, snappy' \
    "${PYTHON_REQUIREMENTS[@]}"
}

# the peers' venvs are named by their requirements' hash, so a changed pin installs afresh
ensure_peer() {
  local requirements="$REPO_ROOT/test/bench/peers/requirements-$1.txt"
  python_venv "$CACHE_DIR/peer-$1-$(sha256sum "$requirements" | cut -c1-12)" "$2" -r "$requirements"
}

ensure_java() {
  command -v javac >/dev/null || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null || apt_install maven
  # the jars deploy/local/stack.sh runs the broker with (kafka-clients, lz4-java, snappy-java, zstd-jni,
  # slf4j); fetched from Maven Central the same way when the stack has not done it yet
  local version="${KAFKA_VERSION:-4.3.1}" libs
  libs="$CACHE_DIR/kafka-$version/libs"
  if [ ! -f "$libs/.complete" ]; then
    log "downloading Apache Kafka $version jars from Maven Central into ${libs#"$REPO_ROOT"/}"
    local profile="kafka4"
    case "$version" in 3.*) profile="kafka3" ;; esac
    rm -rf "$libs.tmp.$$"
    mvn -q -B -Dstyle.color=never -f "$REPO_ROOT/deploy/local/kafka/pom.xml" -P "$profile" -Dkafka.version="$version" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs.tmp.$$" >&2
    rm -rf "$libs" && mv "$libs.tmp.$$" "$libs" && touch "$libs/.complete"
  fi
  echo "$libs/*"
}

ensure_java_apicurio() {
  ensure_java >/dev/null
  # Apicurio Registry's own Avro, Protobuf and JSON Schema serdes and what they bring (deploy/examples/java/apicurio/pom.xml;
  # the cache is named by the pom's hash, so a changed pom downloads again)
  local pom="$REPO_ROOT/deploy/examples/java/apicurio/pom.xml"
  local libs
  libs="$CACHE_DIR/apicurio-serdes-2.4.2.Final-$(sha256sum "$pom" | cut -c1-12)/libs"
  if [ ! -f "$libs/.complete" ]; then
    log "downloading Apicurio's serdes 2.4.2.Final from Maven Central into ${libs#"$REPO_ROOT"/}"
    rm -rf "$libs.tmp.$$"
    mvn -q -B -Dstyle.color=never -f "$pom" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs.tmp.$$" >&2
    rm -rf "$libs" && mv "$libs.tmp.$$" "$libs" && touch "$libs/.complete"
  fi
  echo "$libs/*"
}

ensure_go() {
  command -v go >/dev/null || apt_install golang-go
  # franz-go needs Go 1.26; go >= 1.21 switches to the toolchain go.mod names by itself (GOTOOLCHAIN=auto)
  local minor
  minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
  if [ "${minor:-0}" -lt 21 ]; then
    echo "go $(go env GOVERSION) is too old for deploy/examples/go (needs >= 1.21 to fetch go 1.26): install Go from go.dev" >&2
    exit 1
  fi
  # built once into the cache (go's build cache makes a rebuild after a change quick)
  local bin="$CACHE_DIR/go-example/produce"
  log "go build deploy/examples/go (franz-go from the module proxy, pinned by go.sum)"
  (cd "$REPO_ROOT/deploy/examples/go" && GOFLAGS=-mod=mod go build -o "$bin" . >&2)
  echo "$bin"
}

case "${1:-}:${2:-}" in
  ensure:kcat) ensure_kcat ;;
  ensure:python) ensure_python ;;
  ensure:java) ensure_java ;;
  ensure:java-apicurio) ensure_java_apicurio ;;
  ensure:go) ensure_go ;;
  ensure:peer-river) ensure_peer river river.drift ;;
  ensure:peer-alibi) ensure_peer alibi alibi_detect.cd ;;
  ensure:wasm-clang) ensure_wasm_clang ;;
  *) echo "usage: $0 ensure kcat|python|java|java-apicurio|go|peer-river|peer-alibi|wasm-clang" >&2; exit 2 ;;
esac
