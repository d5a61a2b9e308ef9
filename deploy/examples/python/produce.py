"""Publishes prediction events with confluent-kafka (librdkafka), zstd-compressed: a stationary stream, then
one where the feature `amount` is shifted by one standard deviation. Keyed by modelId. SERIALIZER=avro (the
default) frames Avro of the detector's own schemas/prediction-event.avsc; SERIALIZER=json-schema frames JSON
with confluent-kafka's JSONSerializer and schemas/prediction-event.schema.json. Either schema is registered
under <topic>-value.

    pip install "confluent-kafka[avro,json,schemaregistry]"
    KAFKA_BROKERS=127.0.0.1:19092 SCHEMA_REGISTRY_URL=http://127.0.0.1:18081 python deploy/examples/python/produce.py

Environment: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC (ml.predictions), MODEL_ID (fraud-scorer),
MODEL_VERSION (v1), STATIONARY (1000), SHIFTED (1200), COMPRESSION (zstd), SEED (42), SERIALIZER (avro).
"""
import os
import pathlib
import random
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer

SCHEMAS = pathlib.Path(__file__).resolve().parents[3] / "schemas"


def main() -> int:
    topic = os.environ.get("TOPIC", "ml.predictions")
    model_id = os.environ.get("MODEL_ID", "fraud-scorer")
    version = os.environ.get("MODEL_VERSION", "v1")
    stationary = int(os.environ.get("STATIONARY", "1000"))
    shifted = int(os.environ.get("SHIFTED", "1200"))
    rng = random.Random(int(os.environ.get("SEED", "42")))

    registry = SchemaRegistryClient({"url": os.environ["SCHEMA_REGISTRY_URL"]})
    # registers the schema under <topic>-value on first use and frames each value (magic byte, schema id)
    serializer = os.environ.get("SERIALIZER", "avro")
    if serializer == "avro":
        serialize_value = AvroSerializer(registry, (SCHEMAS / "prediction-event.avsc").read_text())
    elif serializer == "json-schema":
        # validates each event against the JSON Schema before it is sent
        serialize_value = JSONSerializer((SCHEMAS / "prediction-event.schema.json").read_text(), registry)
    else:
        print(f"SERIALIZER must be avro or json-schema, not {serializer!r}", file=sys.stderr)
        return 2
    serialize_key = StringSerializer("utf_8")
    producer = Producer({
        "bootstrap.servers": os.environ["KAFKA_BROKERS"],
        "compression.type": os.environ.get("COMPRESSION", "zstd"),
        "enable.idempotence": True,
        "linger.ms": 20,
    })
    failures = []

    def on_delivery(err, _msg):
        if err is not None:
            failures.append(err)

    for i in range(stationary + shifted):
        shift = 15.0 if i >= stationary else 0.0
        # optional fields of the Avro schema are unions with null: give every field, None where absent (JSON
        # leaves them out)
        event = {
            "eventId": f"python-{i}",
            "modelId": model_id,
            "modelVersion": version,
            "timestamp": 1763769600000 + i * 10,
            "prediction": rng.random(),
            "predictedClass": None,
            "confidence": 0.6 + 0.4 * rng.random(),
            "latencyMs": 10 + 5 * rng.random(),
            "features": {"amount": 100 + shift + 15 * rng.gauss(0, 1), "country": rng.choice(["NL", "DE", "FR"])},
            "attributes": None,
        }
        if serializer == "json-schema":
            event = {k: v for k, v in event.items() if v is not None}
        producer.produce(
            topic,
            key=serialize_key(model_id),
            value=serialize_value(event, SerializationContext(topic, MessageField.VALUE)),
            on_delivery=on_delivery,
        )
        producer.poll(0)
    remaining = producer.flush(30)
    if remaining or failures:
        print(f"{remaining} undelivered, failures: {failures[:3]}", file=sys.stderr)
        return 1
    print(f"published {stationary + shifted} events to {topic}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
