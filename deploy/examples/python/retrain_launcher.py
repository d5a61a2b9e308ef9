"""A training launcher: consumes the detector's retrain requests (and, with DRIFT_TOPIC, its drift events) with
confluent-kafka and prints each as one JSON line, where a real launcher would start a training job. Reads JSON
outputs, and Confluent-framed Avro ones (`kafka.outputFormat: avro`) through AvroDeserializer and the registry.
Commits after each request is handled, so a restart resumes after the last one launched.

    pip install "confluent-kafka[avro,schemaregistry]"
    KAFKA_BROKERS=127.0.0.1:19092 SCHEMA_REGISTRY_URL=http://127.0.0.1:18081 python deploy/examples/python/retrain_launcher.py

Environment: KAFKA_BROKERS, SCHEMA_REGISTRY_URL (for Avro), RETRAIN_TOPIC (ml.retrain-requests), DRIFT_TOPIC
(none), GROUP_ID (training-launcher), STOP_AFTER_IDLE_SECONDS (none: run until stopped).
"""
import datetime
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def epoch_millis(value):
    # fastavro reads timestamp-millis as datetime; the contract's JSON form is epoch milliseconds
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    raise TypeError(f"not JSON: {type(value).__name__}")


def main() -> int:
    retrain_topic = os.environ.get("RETRAIN_TOPIC", "ml.retrain-requests")
    drift_topic = os.environ.get("DRIFT_TOPIC")
    idle_limit = float(os.environ["STOP_AFTER_IDLE_SECONDS"]) if os.environ.get("STOP_AFTER_IDLE_SECONDS") else None
    registry_url = os.environ.get("SCHEMA_REGISTRY_URL")
    # the writer schema comes from the registry by the id in each frame
    avro = AvroDeserializer(SchemaRegistryClient({"url": registry_url})) if registry_url else None

    consumer = Consumer({
        "bootstrap.servers": os.environ["KAFKA_BROKERS"],
        "group.id": os.environ.get("GROUP_ID", "training-launcher"),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    consumer.subscribe([retrain_topic] + ([drift_topic] if drift_topic else []))
    last_message = time.monotonic()
    try:
        while idle_limit is None or time.monotonic() - last_message < idle_limit:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                print(f"consumer error: {msg.error()}", file=sys.stderr)
                return 1
            last_message = time.monotonic()
            value = msg.value()
            if value[:1] == b"\0":
                if avro is None:
                    print("an Avro output, but no SCHEMA_REGISTRY_URL to decode it with", file=sys.stderr)
                    return 1
                record = avro(value, SerializationContext(msg.topic(), MessageField.VALUE))
            else:
                record = json.loads(value)
            kind = "retrain" if msg.topic() == retrain_topic else "drift"
            headers = {k: v.decode() for k, v in (msg.headers() or [])}
            # a real launcher starts the job here, idempotently by requestId (the header says it too)
            print(json.dumps({"kind": kind, "headers": headers, "record": record}, sort_keys=True, default=epoch_millis), flush=True)
            consumer.commit(message=msg, asynchronous=False)
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
