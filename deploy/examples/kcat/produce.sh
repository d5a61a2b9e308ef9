#!/usr/bin/env bash
# Publishes prediction events as JSON lines with kcat (librdkafka): a stationary stream, then one where
# the feature `amount` is shifted by one standard deviation. Keyed by modelId ("key|value" lines), placed
# by murmur2 as the Java client does (librdkafka's default, CRC32, would put a modelId on another partition
# than an outcomes producer in Java, kafkajs or franz-go).
#   KAFKA_BROKERS=127.0.0.1:19092 TOPIC=ml.predictions COMPRESSION=lz4 deploy/examples/kcat/produce.sh
# Environment: KAFKA_BROKERS, TOPIC (ml.predictions), MODEL_ID (fraud-scorer), MODEL_VERSION (v1),
# STATIONARY (1000) and SHIFTED (1200) event counts, COMPRESSION (gzip | lz4 | snappy | zstd | none), SEED.
set -euo pipefail
: "${KAFKA_BROKERS:?set KAFKA_BROKERS}"
TOPIC="${TOPIC:-ml.predictions}"
MODEL_ID="${MODEL_ID:-fraud-scorer}"
MODEL_VERSION="${MODEL_VERSION:-v1}"
STATIONARY="${STATIONARY:-1000}"
SHIFTED="${SHIFTED:-1200}"
COMPRESSION="${COMPRESSION:-gzip}"
SEED="${SEED:-42}"
KCAT="$(command -v kcat || command -v kafkacat)" || { echo "kcat not found (apt-get install kcat)" >&2; exit 1; }

# One JSON object per line; awk's rand() with Box-Muller gives the normal amounts.
awk -v n0="$STATIONARY" -v n1="$SHIFTED" -v model="$MODEL_ID" -v version="$MODEL_VERSION" -v seed="$SEED" 'BEGIN {
  srand(seed); pi = 3.141592653589793; split("NL DE FR", countries, " ")
  for (i = 0; i < n0 + n1; i++) {
    shift = (i >= n0) ? 15 : 0
    amount = 100 + shift + 15 * sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand())
    printf "%s|{\"eventId\":\"kcat-%s-%d\",\"modelId\":\"%s\",\"modelVersion\":\"%s\",\"timestamp\":%.0f,", model, seed, i, model, version, 1763769600000 + i * 10
    printf "\"prediction\":%.4f,\"confidence\":%.4f,\"latencyMs\":%.2f,", rand(), 0.6 + 0.4 * rand(), 10 + 5 * rand()
    printf "\"features\":{\"amount\":%.3f,\"country\":\"%s\"}}\n", amount, countries[1 + int(rand() * 3)]
  }
}' | "$KCAT" -P -b "$KAFKA_BROKERS" -t "$TOPIC" -K '|' -z "$COMPRESSION" -X linger.ms=20 -X enable.idempotence=true \
  -X partitioner=murmur2_random
