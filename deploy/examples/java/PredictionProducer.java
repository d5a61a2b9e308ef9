// Publishes prediction events as JSON with the Java client (kafka-clients), lz4-compressed: a stationary
// stream, then one where the feature `amount` is shifted by one standard deviation. Keyed by modelId.
// Single-file source launch (Java 11+), with the Kafka jars on the classpath:
//   java -cp "deploy/local/.cache/kafka-4.3.1/libs/*" deploy/examples/java/PredictionProducer.java
// Environment: KAFKA_BROKERS, TOPIC (ml.predictions), MODEL_ID (fraud-scorer), MODEL_VERSION (v1),
// STATIONARY (1000), SHIFTED (1200), COMPRESSION (lz4), SEED (42). TRANSACTIONAL_ID set: the events go in
// transactions of 100 (as a Kafka Streams or Flink exactly-once job writes), and after every third one a
// transaction of ABORTED (50) far-off events is aborted: a read_committed consumer never sees those.
// ABORT_AT_END=1 (with TRANSACTIONAL_ID): one more aborted transaction after the last committed one.
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class PredictionProducer {
  static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  public static void main(String[] args) throws Exception {
    String brokers = env("KAFKA_BROKERS", "127.0.0.1:19092");
    String topic = env("TOPIC", "ml.predictions");
    String modelId = env("MODEL_ID", "fraud-scorer");
    String version = env("MODEL_VERSION", "v1");
    int stationary = Integer.parseInt(env("STATIONARY", "1000"));
    int shifted = Integer.parseInt(env("SHIFTED", "1200"));
    Random random = new Random(Long.parseLong(env("SEED", "42")));
    String[] countries = {"NL", "DE", "FR"};

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, env("COMPRESSION", "lz4"));
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());

    String transactionalId = env("TRANSACTIONAL_ID", "");
    boolean transactional = !transactionalId.isEmpty();
    int aborted = Integer.parseInt(env("ABORTED", "50"));
    boolean abortAtEnd = env("ABORT_AT_END", "0").equals("1");
    if (transactional) props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);

    int abortedSent = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      if (transactional) {
        producer.initTransactions();
        producer.beginTransaction();
      }
      for (int i = 0; i < stationary + shifted; i++) {
        double amount = 100 + (i >= stationary ? 15 : 0) + 15 * random.nextGaussian();
        producer.send(new ProducerRecord<>(topic, modelId, event("java-" + i, modelId, version, i, amount, random, countries)));
        if (transactional && (i + 1) % 100 == 0) {
          producer.commitTransaction();
          if ((i + 1) % 300 == 0) {
            // events no consumer may count: ten times the amount, ids of their own
            producer.beginTransaction();
            for (int k = 0; k < aborted; k++) {
              String id = "java-aborted-" + abortedSent++;
              producer.send(new ProducerRecord<>(topic, modelId, event(id, modelId, version, i, 1000 + random.nextGaussian(), random, countries)));
            }
            producer.flush();
            producer.abortTransaction();
          }
          producer.beginTransaction();
        }
      }
      if (transactional) producer.commitTransaction();
      if (transactional && abortAtEnd) {
        // the topic ends in an aborted transaction: the last records a read_committed consumer fetches are
        // aborted ones and the abort marker, none of which it may count
        producer.beginTransaction();
        for (int k = 0; k < aborted; k++) {
          String id = "java-aborted-" + abortedSent++;
          producer.send(new ProducerRecord<>(topic, modelId, event(id, modelId, version, 0, 1000 + random.nextGaussian(), random, countries)));
        }
        producer.flush();
        producer.abortTransaction();
      }
      producer.flush();
    }
    System.err.printf("published %d events to %s%s%n", stationary + shifted, topic,
        transactional ? String.format(Locale.ROOT, " in transactions (%d more in aborted ones)", abortedSent) : "");
  }

  // the contract is plain JSON: any JSON library does; String.format keeps the example dependency-free
  static String event(String id, String modelId, String version, int i, double amount, Random random, String[] countries) {
    return String.format(Locale.ROOT,
        "{\"eventId\":\"%s\",\"modelId\":\"%s\",\"modelVersion\":\"%s\",\"timestamp\":%d,"
            + "\"prediction\":%.4f,\"confidence\":%.4f,\"latencyMs\":%.2f,"
            + "\"features\":{\"amount\":%.3f,\"country\":\"%s\"}}",
        id, modelId, version, 1763769600000L + i * 10L, random.nextDouble(), 0.6 + 0.4 * random.nextDouble(),
        10 + 5 * random.nextDouble(), amount, countries[random.nextInt(countries.length)]);
  }
}
