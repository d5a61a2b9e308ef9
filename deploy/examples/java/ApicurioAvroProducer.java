// Publishes prediction events as Avro with Apicurio Registry's own serializer (io.apicurio AvroKafkaSerializer,
// apicurio-registry-serdes-avro-serde), at its defaults: the schema is registered as artifact <topic>-value and
// its id goes in header apicurio.value.globalId (8 bytes), the value being the bare Avro body. A stationary
// stream, then one where the feature `amount` is shifted by one standard deviation. Keyed by modelId.
// Single-file source launch (Java 11+), with the serde's jars on the classpath (deploy/local/examples.sh
// ensure java-apicurio prints it):
//   java -cp "$(deploy/local/examples.sh ensure java-apicurio)" deploy/examples/java/ApicurioAvroProducer.java
// Environment: KAFKA_BROKERS, APICURIO_URL (Apicurio's core API, e.g. http://127.0.0.1:18181/apis/registry/v2),
// TOPIC (ml.predictions), MODEL_ID (fraud-scorer), MODEL_VERSION (v1), STATIONARY (1000), SHIFTED (1200),
// SEED (42), USE_ID (globalId; contentId puts the content id in apicurio.value.contentId instead).
import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.io.File;
import java.util.HashMap;
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

public class ApicurioAvroProducer {
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
    // the contract's own schema; a producer may keep its own record, as long as the field names match
    Schema schema = new Schema.Parser().parse(new File(env("SCHEMA_FILE", "schemas/prediction-event.avsc")));

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroKafkaSerializer.class.getName());
    props.put(SerdeConfig.REGISTRY_URL, registry);
    props.put(SerdeConfig.AUTO_REGISTER_ARTIFACT, "true");
    props.put(SerdeConfig.USE_ID, env("USE_ID", "globalId"));

    try (KafkaProducer<String, GenericRecord> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < stationary + shifted; i++) {
        double amount = 100 + (i >= stationary ? 15 : 0) + 15 * random.nextGaussian();
        producer.send(new ProducerRecord<>(topic, modelId, event(schema, "apicurio-" + i, modelId, version, i, amount, random, countries)));
      }
      producer.flush();
    }
    System.err.printf("published %d events to %s (Apicurio AvroKafkaSerializer, %s in headers)%n", stationary + shifted, topic,
        env("USE_ID", "globalId"));
  }

  static GenericRecord event(Schema schema, String id, String modelId, String version, int i, double amount, Random random,
      String[] countries) {
    GenericRecord record = new GenericData.Record(schema);
    record.put("eventId", id);
    record.put("modelId", modelId);
    record.put("modelVersion", version);
    record.put("timestamp", 1763769600000L + i * 10L);
    record.put("prediction", random.nextDouble());
    record.put("predictedClass", null);
    record.put("confidence", 0.6 + 0.4 * random.nextDouble());
    record.put("latencyMs", 10 + 5 * random.nextDouble());
    Map<String, Object> features = new HashMap<>();
    features.put("amount", amount);
    features.put("country", countries[random.nextInt(countries.length)]);
    record.put("features", features);
    record.put("attributes", null);
    return record;
  }
}
