"""Publishes prediction events with confluent-kafka (librdkafka), zstd-compressed: a stationary stream, then
one where the feature `amount` is shifted by one standard deviation. Keyed by modelId. SERIALIZER=avro (the
default) frames Avro of the detector's own schemas/prediction-event.avsc; SERIALIZER=json-schema frames JSON
with confluent-kafka's JSONSerializer and schemas/prediction-event.schema.json; SERIALIZER=protobuf frames
Protobuf with its ProtobufSerializer and schemas/prediction-event.proto (compiled here by grpcio-tools'
protoc, as `protoc --python_out` would); SERIALIZER=avro-references frames Avro of a producer's own schema that
takes its class label from an enum registered under another subject (<topic>-label), named by a schema
reference. The schema is registered under <topic>-value. SCHEMA_ID=header names the schema in a header instead
of the value's first bytes (Confluent Platform 8's schema ID in headers: header_schema_id_serializer writes
`__value_schema_id`, 0x01 and the schema's GUID, and leaves the value the bare body).

    pip install "confluent-kafka[avro,json,protobuf,schemaregistry]" grpcio-tools
    KAFKA_BROKERS=127.0.0.1:19092 SCHEMA_REGISTRY_URL=http://127.0.0.1:18081 python deploy/examples/python/produce.py

Environment: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC (ml.predictions), MODEL_ID (fraud-scorer),
MODEL_VERSION (v1), STATIONARY (1000), SHIFTED (1200), COMPRESSION (zstd), SEED (42), SERIALIZER (avro),
SCHEMA_ID (prefix).
"""
import importlib
import json
import os
import pathlib
import random
import sys
import tempfile

from confluent_kafka import Producer
from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    header_schema_id_serializer,
    prefix_schema_id_serializer,
)
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer

SCHEMAS = pathlib.Path(__file__).resolve().parents[3] / "schemas"


def prediction_message_class():
    """The PredictionEvent class protoc generates from schemas/prediction-event.proto."""
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="prediction-event-pb2-")
    if protoc.main(["protoc", f"-I{SCHEMAS}", f"--python_out={out}", str(SCHEMAS / "prediction-event.proto")]) != 0:
        raise RuntimeError("protoc could not compile schemas/prediction-event.proto")
    sys.path.insert(0, out)
    return importlib.import_module("prediction_event_pb2").PredictionEvent


# a label enum of a shared subject, and a producer's own record that uses it by name
LABEL = {"type": "enum", "name": "Label", "namespace": "com.shop", "symbols": ["LEGIT", "FRAUD"]}
SCORED = {
    "type": "record",
    "name": "ScoredPrediction",
    "namespace": "com.shop",
    "fields": [
        {"name": "eventId", "type": "string"},
        {"name": "modelId", "type": "string"},
        {"name": "modelVersion", "type": "string"},
        {"name": "timestamp", "type": "long"},
        {"name": "prediction", "type": ["null", "double"], "default": None},
        {"name": "predictedClass", "type": ["null", "com.shop.Label"], "default": None},
        {"name": "confidence", "type": ["null", "double"], "default": None},
        {"name": "latencyMs", "type": ["null", "double"], "default": None},
        {"name": "features", "type": ["null", {"type": "map", "values": ["null", "double", "string", "boolean"]}], "default": None},
        {"name": "attributes", "type": ["null", {"type": "map", "values": "string"}], "default": None},
    ],
}


def schema_with_reference(registry, topic):
    """SCORED, with a reference to LABEL as registered under <topic>-label."""
    label_subject = f"{topic}-label"
    registry.register_schema(label_subject, Schema(json.dumps(LABEL), "AVRO"))
    label_version = registry.get_latest_version(label_subject).version
    return Schema(json.dumps(SCORED), "AVRO", [SchemaReference("com.shop.Label", label_subject, label_version)])


def to_protobuf(message_class, event):
    """The event as a PredictionEvent message: unset optional fields for None, FeatureValue by the value's type."""
    message = message_class(event_id=event["eventId"], model_id=event["modelId"], model_version=event["modelVersion"],
                            timestamp=event["timestamp"])
    for field, name in (("prediction", "prediction"), ("predictedClass", "predicted_class"), ("confidence", "confidence"),
                        ("latencyMs", "latency_ms")):
        if event[field] is not None:
            setattr(message, name, event[field])
    for name, value in (event["features"] or {}).items():
        if isinstance(value, bool):
            message.features[name].bool_value = value
        elif isinstance(value, (int, float)):
            message.features[name].number_value = value
        elif isinstance(value, str):
            message.features[name].string_value = value
        else:
            message.features[name].SetInParent()  # no kind: missing
    for name, value in (event["attributes"] or {}).items():
        message.attributes[name] = value
    return message


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
    schema_id = os.environ.get("SCHEMA_ID", "prefix")
    if schema_id not in ("prefix", "header"):
        print(f"SCHEMA_ID must be prefix or header, not {schema_id!r}", file=sys.stderr)
        return 2
    conf = {"schema.id.serializer": header_schema_id_serializer if schema_id == "header" else prefix_schema_id_serializer}
    if serializer == "avro":
        serialize_value = AvroSerializer(registry, (SCHEMAS / "prediction-event.avsc").read_text(), conf=conf)
    elif serializer == "json-schema":
        # validates each event against the JSON Schema before it is sent
        serialize_value = JSONSerializer((SCHEMAS / "prediction-event.schema.json").read_text(), registry, conf=conf)
    elif serializer == "avro-references":
        serialize_value = AvroSerializer(registry, schema_with_reference(registry, topic), conf=conf)
    elif serializer == "protobuf":
        message_class = prediction_message_class()
        protobuf_serializer = ProtobufSerializer(message_class, registry, {"use.deprecated.format": False, **conf})

        def serialize_value(event, ctx):
            return protobuf_serializer(to_protobuf(message_class, event), ctx)
    else:
        print(f"SERIALIZER must be avro, avro-references, json-schema or protobuf, not {serializer!r}", file=sys.stderr)
        return 2
    serialize_key = StringSerializer("utf_8")
    producer = Producer({
        "bootstrap.servers": os.environ["KAFKA_BROKERS"],
        "compression.type": os.environ.get("COMPRESSION", "zstd"),
        "enable.idempotence": True,
        "linger.ms": 20,
        # librdkafka's default (consistent_random, CRC32) puts a key elsewhere than the Java client, kafkajs and
        # franz-go do; with murmur2 an outcomes producer in any of them lands each modelId beside its predictions
        "partitioner": "murmur2_random",
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
            # the enum's symbol in the schema with a reference; none in the others
            "predictedClass": ("FRAUD" if rng.random() < 0.1 else "LEGIT") if serializer == "avro-references" else None,
            "confidence": 0.6 + 0.4 * rng.random(),
            "latencyMs": 10 + 5 * rng.random(),
            "features": {"amount": 100 + shift + 15 * rng.gauss(0, 1), "country": rng.choice(["NL", "DE", "FR"])},
            "attributes": None,
        }
        if serializer == "json-schema":
            event = {k: v for k, v in event.items() if v is not None}
        # the header serializer adds __value_schema_id here
        headers = []
        value = serialize_value(event, SerializationContext(topic, MessageField.VALUE, headers))
        producer.produce(topic, key=serialize_key(model_id), value=value, headers=headers, on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(30)
    if remaining or failures:
        print(f"{remaining} undelivered, failures: {failures[:3]}", file=sys.stderr)
        return 1
    print(f"published {stationary + shifted} events to {topic}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
