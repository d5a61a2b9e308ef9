"""Publishes prediction events as JSON with kafka-python, the pure-Python client (its own protocol code and
its own compression framing: no librdkafka): a stationary stream, then one where the feature `amount` is
shifted by one standard deviation. Keyed by modelId.

    pip install kafka-python lz4 zstandard python-snappy
    KAFKA_BROKERS=127.0.0.1:19092 COMPRESSION=lz4 python deploy/examples/python/kafka_python_produce.py

Environment: KAFKA_BROKERS, TOPIC (ml.predictions), MODEL_ID (fraud-scorer), MODEL_VERSION (v1),
STATIONARY (1000), SHIFTED (1200), COMPRESSION (gzip, snappy, lz4, zstd or none; default gzip), SEED (42).
"""
import json
import os
import random
import sys

from kafka import KafkaProducer


def main() -> int:
    topic = os.environ.get("TOPIC", "ml.predictions")
    model_id = os.environ.get("MODEL_ID", "fraud-scorer")
    version = os.environ.get("MODEL_VERSION", "v1")
    stationary = int(os.environ.get("STATIONARY", "1000"))
    shifted = int(os.environ.get("SHIFTED", "1200"))
    compression = os.environ.get("COMPRESSION", "gzip")
    rng = random.Random(int(os.environ.get("SEED", "42")))

    producer = KafkaProducer(
        bootstrap_servers=os.environ["KAFKA_BROKERS"].split(","),
        compression_type=None if compression == "none" else compression,
        key_serializer=str.encode,
        # allow_nan=False: a NaN would be written as a bare NaN, which is not JSON (the detector names it)
        value_serializer=lambda event: json.dumps(event, allow_nan=False).encode("utf-8"),
        linger_ms=20,
        acks="all",
    )
    futures = []
    for i in range(stationary + shifted):
        shift = 15.0 if i >= stationary else 0.0
        event = {
            "eventId": f"kafka-python-{i}",
            "modelId": model_id,
            "modelVersion": version,
            "timestamp": 1763769600000 + i * 10,  # epoch milliseconds
            "prediction": rng.random(),
            "confidence": 0.6 + 0.4 * rng.random(),
            "latencyMs": 10 + 5 * rng.random(),
            "features": {"amount": 100 + shift + 15 * rng.gauss(0, 1), "country": rng.choice(["NL", "DE", "FR"])},
        }
        futures.append(producer.send(topic, key=model_id, value=event))
    producer.flush(30)
    failures = [f.exception for f in futures if f.failed()]
    producer.close()
    if failures or not all(f.succeeded() for f in futures):
        print(f"{len(failures)} failed, first: {failures[:3]}", file=sys.stderr)
        return 1
    print(f"published {stationary + shifted} events to {topic} ({compression})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
