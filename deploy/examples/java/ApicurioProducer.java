// Publishes prediction events with Apicurio Registry's own serializers at their defaults: the schema is registered
// as artifact <topic>-value and its id goes in header apicurio.value.globalId (8 bytes), the value being the bare
// body. SERIALIZER=avro (AvroKafkaSerializer, a GenericRecord of schemas/prediction-event.avsc), protobuf
// (ProtobufKafkaSerializer, a DynamicMessage of schemas/prediction-event.proto; header apicurio.protobuf.type names
// the message) or json-schema (JsonSchemaKafkaSerializer, a Map written by Jackson and checked against
// schemas/prediction-event.schema.json, which this example registers first: that serializer does not register).
// A stationary stream, then one where the feature `amount` is shifted by one standard deviation.
// Keyed by modelId. Single-file source launch (Java 11+), with the serdes' jars on the classpath
// (deploy/local/examples.sh ensure java-apicurio prints it):
//   java -cp "$(deploy/local/examples.sh ensure java-apicurio)" deploy/examples/java/ApicurioProducer.java
// Environment: KAFKA_BROKERS, APICURIO_URL (Apicurio's core API, e.g. http://127.0.0.1:18181/apis/registry/v2),
// TOPIC (ml.predictions), MODEL_ID (fraud-scorer), MODEL_VERSION (v1), STATIONARY (1000), SHIFTED (1200),
// SEED (42), SERIALIZER (avro), USE_ID (globalId; contentId puts the content id in apicurio.value.contentId instead),
// HEADERS (1; 0 turns the serdes' headers off: the value is then 0x00, the id as 8 bytes, the body).
import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.jsonschema.JsonSchemaKafkaSerializer;
import io.apicurio.registry.serde.protobuf.ProtobufKafkaSerializer;
import io.apicurio.registry.utils.protobuf.schema.FileDescriptorUtils;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.squareup.wire.schema.internal.parser.ProtoFileElement;
import com.squareup.wire.schema.internal.parser.ProtoParser;
import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class ApicurioProducer {
  static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  public static void main(String[] args) throws Exception {
    String brokers = env("KAFKA_BROKERS", "127.0.0.1:19092");
    String registry = env("APICURIO_URL", "http://127.0.0.1:18181/apis/registry/v2");
    String topic = env("TOPIC", "ml.predictions");
    String modelId = env("MODEL_ID", "fraud-scorer");
    String version = env("MODEL_VERSION", "v1");
    int stationary = Integer.parseInt(env("STATIONARY", "1000"));
    int shifted = Integer.parseInt(env("SHIFTED", "1200"));
    Random random = new Random(Long.parseLong(env("SEED", "42")));
    String[] countries = {"NL", "DE", "FR"};
    String serializer = env("SERIALIZER", "avro");
    if (!serializer.equals("avro") && !serializer.equals("protobuf") && !serializer.equals("json-schema"))
      throw new IllegalArgumentException("SERIALIZER must be avro, protobuf or json-schema, not " + serializer);
    boolean protobuf = serializer.equals("protobuf");
    boolean jsonSchema = serializer.equals("json-schema");

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
        (protobuf ? ProtobufKafkaSerializer.class : jsonSchema ? JsonSchemaKafkaSerializer.class : AvroKafkaSerializer.class).getName());
    props.put(SerdeConfig.REGISTRY_URL, registry);
    props.put(SerdeConfig.AUTO_REGISTER_ARTIFACT, jsonSchema ? "false" : "true");
    if (jsonSchema) {
      // the serializer looks up the version registered (TopicIdStrategy: <topic>-value), validates and writes; named
      // by its version, as find-latest asks the registry again for every record
      String registered = registerJsonSchema(registry, topic + "-value", Files.readString(Path.of("schemas/prediction-event.schema.json")));
      props.put(SerdeConfig.EXPLICIT_ARTIFACT_VERSION, registered);
    }
    props.put(SerdeConfig.USE_ID, env("USE_ID", "globalId"));
    // HEADERS=0: the id goes in the value instead (0x00, then the id as an 8-byte big-endian long)
    props.put(SerdeConfig.ENABLE_HEADERS, env("HEADERS", "1").equals("0") ? "false" : "true");

    // the contract's own schemas; a producer may keep its own message, as long as the field names match
    Schema avro = serializer.equals("avro") ? new Schema.Parser().parse(new File("schemas/prediction-event.avsc")) : null;
    Descriptor proto = protobuf ? protoMessage("schemas/prediction-event.proto", "PredictionEvent") : null;
    try (KafkaProducer<String, Object> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < stationary + shifted; i++) {
        double amount = 100 + (i >= stationary ? 15 : 0) + 15 * random.nextGaussian();
        String id = "apicurio-" + i;
        double prediction = random.nextDouble();
        double confidence = 0.6 + 0.4 * random.nextDouble();
        double latency = 10 + 5 * random.nextDouble();
        String country = countries[random.nextInt(countries.length)];
        Object value = protobuf
            ? protoEvent(proto, id, modelId, version, i, prediction, confidence, latency, amount, country)
            : jsonSchema
                ? jsonEvent(id, modelId, version, i, prediction, confidence, latency, amount, country)
                : avroEvent(avro, id, modelId, version, i, prediction, confidence, latency, amount, country);
        producer.send(new ProducerRecord<>(topic, modelId, value));
      }
      producer.flush();
    }
    System.err.printf("published %d events to %s (Apicurio %s serializer, %s in %s)%n", stationary + shifted, topic,
        protobuf ? "Protobuf" : jsonSchema ? "JSON Schema" : "Avro", env("USE_ID", "globalId"), env("HEADERS", "1").equals("0") ? "the value" : "headers");
  }

  static GenericRecord avroEvent(Schema schema, String id, String modelId, String version, int i, double prediction,
      double confidence, double latency, double amount, String country) {
    GenericRecord record = new GenericData.Record(schema);
    record.put("eventId", id);
    record.put("modelId", modelId);
    record.put("modelVersion", version);
    record.put("timestamp", 1763769600000L + i * 10L);
    record.put("prediction", prediction);
    record.put("predictedClass", null);
    record.put("confidence", confidence);
    record.put("latencyMs", latency);
    Map<String, Object> features = new HashMap<>();
    features.put("amount", amount);
    features.put("country", country);
    record.put("features", features);
    record.put("attributes", null);
    return record;
  }

  /** The event as Jackson writes it: a Map, in the contract's field order. */
  static Map<String, Object> jsonEvent(String id, String modelId, String version, int i, double prediction,
      double confidence, double latency, double amount, String country) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("eventId", id);
    event.put("modelId", modelId);
    event.put("modelVersion", version);
    event.put("timestamp", 1763769600000L + i * 10L);
    event.put("prediction", prediction);
    event.put("confidence", confidence);
    event.put("latencyMs", latency);
    Map<String, Object> features = new LinkedHashMap<>();
    features.put("amount", amount);
    features.put("country", country);
    event.put("features", features);
    return event;
  }

  /** Registers a JSON Schema as artifact `artifactId` of the default group (kept when it already holds it): its version. */
  static String registerJsonSchema(String registry, String artifactId, String schema) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(registry + "/groups/default/artifacts?ifExists=RETURN_OR_UPDATE"))
        .header("Content-Type", "application/json")
        .header("X-Registry-ArtifactId", URLEncoder.encode(artifactId, StandardCharsets.UTF_8))
        .header("X-Registry-ArtifactType", "JSON")
        .POST(HttpRequest.BodyPublishers.ofString(schema))
        .build();
    HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    java.util.regex.Matcher version = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(response.body());
    if (response.statusCode() != 200 || !version.find())
      throw new IllegalStateException("registering " + artifactId + ": " + response.statusCode() + " " + response.body());
    return version.group(1);
  }

  /** A message type of a .proto file read at run time (Apicurio's own parser; no protoc, no generated class). */
  static Descriptor protoMessage(String file, String name) throws Exception {
    ProtoFileElement element = ProtoParser.Companion.parse(FileDescriptorUtils.DEFAULT_LOCATION, Files.readString(Path.of(file)));
    return FileDescriptorUtils.protoFileToFileDescriptor(element).findMessageTypeByName(name);
  }

  static DynamicMessage protoEvent(Descriptor type, String id, String modelId, String version, int i, double prediction,
      double confidence, double latency, double amount, String country) {
    FieldDescriptor features = type.findFieldByName("features");
    Descriptor entry = features.getMessageType(); // map<string, FeatureValue>: repeated entries of key and value
    Descriptor featureValue = entry.findFieldByName("value").getMessageType();
    DynamicMessage.Builder event = DynamicMessage.newBuilder(type)
        .setField(type.findFieldByName("event_id"), id)
        .setField(type.findFieldByName("model_id"), modelId)
        .setField(type.findFieldByName("model_version"), version)
        .setField(type.findFieldByName("timestamp"), 1763769600000L + i * 10L)
        .setField(type.findFieldByName("prediction"), prediction)
        .setField(type.findFieldByName("confidence"), confidence)
        .setField(type.findFieldByName("latency_ms"), latency);
    event.addRepeatedField(features, DynamicMessage.newBuilder(entry)
        .setField(entry.findFieldByName("key"), "amount")
        .setField(entry.findFieldByName("value"),
            DynamicMessage.newBuilder(featureValue).setField(featureValue.findFieldByName("number_value"), amount).build())
        .build());
    event.addRepeatedField(features, DynamicMessage.newBuilder(entry)
        .setField(entry.findFieldByName("key"), "country")
        .setField(entry.findFieldByName("value"),
            DynamicMessage.newBuilder(featureValue).setField(featureValue.findFieldByName("string_value"), country).build())
        .build());
    return event.build();
  }
}
