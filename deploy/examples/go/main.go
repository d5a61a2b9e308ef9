// Publishes prediction events with franz-go, snappy-compressed: a stationary stream, then one where the
// feature `amount` is shifted by one standard deviation. Keyed by modelId. SERIALIZER=json (the default) sends
// plain JSON; SERIALIZER=avro registers schemas/prediction-event.avsc under <topic>-value with franz-go's
// schema registry client and frames Avro encoded by hamba/avro (an Avro implementation of its own);
// SERIALIZER=protobuf registers schemas/prediction-event.proto (as .proto text) and frames Protobuf encoded by
// Go's protobuf runtime, the message built with dynamicpb from the .proto compiled by bufbuild/protocompile
// (what protoc-gen-go's generated code would do, without a generation step).
//
//	cd deploy/examples/go && KAFKA_BROKERS=127.0.0.1:19092 go run .
//
// Environment: KAFKA_BROKERS, TOPIC (ml.predictions), MODEL_ID (fraud-scorer), MODEL_VERSION (v1),
// STATIONARY (1000), SHIFTED (1200), SEED (42), SERIALIZER (json), SCHEMA_REGISTRY_URL (avro, protobuf).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bufbuild/protocompile"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// PredictionEvent is the JSON contract (schemas/prediction-event.schema.json); optional fields omitted.
type PredictionEvent struct {
	EventID      string         `json:"eventId"`
	ModelID      string         `json:"modelId"`
	ModelVersion string         `json:"modelVersion"`
	Timestamp    int64          `json:"timestamp"` // event time, epoch millis
	Prediction   float64        `json:"prediction"`
	Confidence   float64        `json:"confidence"`
	LatencyMs    float64        `json:"latencyMs"`
	Features     map[string]any `json:"features"`
}

// PredictionEventAvro is the same event for schemas/prediction-event.avsc: nullable unions as pointers (a map
// value would read as hamba's {"type": value} form of a union), the features map's value union (null, double,
// string, boolean) as Go values of those types.
type PredictionEventAvro struct {
	EventID        string             `avro:"eventId"`
	ModelID        string             `avro:"modelId"`
	ModelVersion   string             `avro:"modelVersion"`
	Timestamp      time.Time          `avro:"timestamp"` // long, logicalType timestamp-millis
	Prediction     *float64           `avro:"prediction"`
	PredictedClass *string            `avro:"predictedClass"`
	Confidence     *float64           `avro:"confidence"`
	LatencyMs      *float64           `avro:"latencyMs"`
	Features       *map[string]any    `avro:"features"`
	Attributes     *map[string]string `avro:"attributes"`
}

// readSchema reads a file of schemas/, from the repository root or from this directory (go run .).
func readSchema(name string) []byte {
	text, err := os.ReadFile("schemas/" + name)
	if os.IsNotExist(err) {
		text, err = os.ReadFile("../../../schemas/" + name)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schema:", err)
		os.Exit(1)
	}
	return text
}

// register registers a schema under <topic>-value and returns its id.
func register(ctx context.Context, topic string, schema sr.Schema) int {
	registry, err := sr.NewClient(sr.URLs(env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:18081")))
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry client:", err)
		os.Exit(1)
	}
	registered, err := registry.CreateSchema(ctx, topic+"-value", schema)
	if err != nil {
		fmt.Fprintln(os.Stderr, "register schema:", err)
		os.Exit(1)
	}
	return registered.ID
}

// protobufEncoder registers the contract's .proto under <topic>-value and returns a function that frames an
// event as the Confluent wire format (magic byte, schema id, message indexes [0], the PredictionEvent message).
func protobufEncoder(ctx context.Context, topic string) func(PredictionEvent) ([]byte, error) {
	text := readSchema("prediction-event.proto")
	compiler := protocompile.Compiler{Resolver: &protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(map[string]string{
		"prediction-event.proto": string(text),
	})}}
	files, err := compiler.Compile(ctx, "prediction-event.proto")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compile prediction-event.proto:", err)
		os.Exit(1)
	}
	descriptor := files[0].Messages().ByName("PredictionEvent")
	featureValue := files[0].Messages().ByName("FeatureValue")
	id := register(ctx, topic, sr.Schema{Schema: string(text), Type: sr.TypeProtobuf})
	var serde sr.Serde
	// the first message of the file: franz-go writes the index as Confluent's single 0 byte
	serde.Register(id, &dynamicpb.Message{}, sr.EncodeFn(func(v any) ([]byte, error) { return proto.Marshal(v.(*dynamicpb.Message)) }), sr.Index(0))
	fields := descriptor.Fields()
	set := func(m *dynamicpb.Message, name string, v protoreflect.Value) {
		m.Set(fields.ByName(protoreflect.Name(name)), v)
	}
	return func(e PredictionEvent) ([]byte, error) {
		m := dynamicpb.NewMessage(descriptor)
		set(m, "event_id", protoreflect.ValueOfString(e.EventID))
		set(m, "model_id", protoreflect.ValueOfString(e.ModelID))
		set(m, "model_version", protoreflect.ValueOfString(e.ModelVersion))
		set(m, "timestamp", protoreflect.ValueOfInt64(e.Timestamp))
		set(m, "prediction", protoreflect.ValueOfFloat64(e.Prediction))
		set(m, "confidence", protoreflect.ValueOfFloat64(e.Confidence))
		set(m, "latency_ms", protoreflect.ValueOfFloat64(e.LatencyMs))
		features := m.Mutable(fields.ByName("features")).Map()
		for name, value := range e.Features {
			fv := dynamicpb.NewMessage(featureValue)
			switch v := value.(type) {
			case float64:
				fv.Set(featureValue.Fields().ByName("number_value"), protoreflect.ValueOfFloat64(v))
			case string:
				fv.Set(featureValue.Fields().ByName("string_value"), protoreflect.ValueOfString(v))
			case bool:
				fv.Set(featureValue.Fields().ByName("bool_value"), protoreflect.ValueOfBool(v))
			}
			features.Set(protoreflect.ValueOfString(name).MapKey(), protoreflect.ValueOfMessage(fv))
		}
		return serde.Encode(m)
	}
}

// avroEncoder registers the contract's Avro schema under <topic>-value and returns a function that frames an
// event as the Confluent wire format (magic byte, schema id, Avro body).
func avroEncoder(ctx context.Context, topic string) func(PredictionEvent) ([]byte, error) {
	text := readSchema("prediction-event.avsc")
	id := register(ctx, topic, sr.Schema{Schema: string(text), Type: sr.TypeAvro})
	schema := avro.MustParse(string(text))
	var serde sr.Serde
	serde.Register(id, PredictionEventAvro{}, sr.EncodeFn(func(v any) ([]byte, error) { return avro.Marshal(schema, v) }))
	return func(e PredictionEvent) ([]byte, error) {
		return serde.Encode(PredictionEventAvro{
			EventID:      e.EventID,
			ModelID:      e.ModelID,
			ModelVersion: e.ModelVersion,
			Timestamp:    time.UnixMilli(e.Timestamp).UTC(),
			Prediction:   &e.Prediction,
			Confidence:   &e.Confidence,
			LatencyMs:    &e.LatencyMs,
			Features:     &e.Features,
		})
	}
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func envInt(name string, fallback int) int {
	n, err := strconv.Atoi(env(name, strconv.Itoa(fallback)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	return n
}

func main() {
	topic := env("TOPIC", "ml.predictions")
	modelID := env("MODEL_ID", "fraud-scorer")
	version := env("MODEL_VERSION", "v1")
	stationary, shifted := envInt("STATIONARY", 1000), envInt("SHIFTED", 1200)
	random := rand.New(rand.NewSource(int64(envInt("SEED", 42))))
	countries := []string{"NL", "DE", "FR"}

	client, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(env("KAFKA_BROKERS", "127.0.0.1:19092"), ",")...),
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchCompression(kgo.SnappyCompression()),
		kgo.ProducerLinger(20*time.Millisecond),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
	defer client.Close()

	ctx := context.Background()
	encode := func(e PredictionEvent) ([]byte, error) { return json.Marshal(e) }
	switch serializer := env("SERIALIZER", "json"); serializer {
	case "json":
	case "avro":
		encode = avroEncoder(ctx, topic)
	case "protobuf":
		encode = protobufEncoder(ctx, topic)
	default:
		fmt.Fprintf(os.Stderr, "SERIALIZER must be json, avro or protobuf, not %q\n", serializer)
		os.Exit(2)
	}
	var failed atomic.Int64
	for i := 0; i < stationary+shifted; i++ {
		shift := 0.0
		if i >= stationary {
			shift = 15
		}
		event := PredictionEvent{
			EventID:      fmt.Sprintf("go-%d", i),
			ModelID:      modelID,
			ModelVersion: version,
			Timestamp:    1763769600000 + int64(i)*10,
			Prediction:   random.Float64(),
			Confidence:   0.6 + 0.4*random.Float64(),
			LatencyMs:    10 + 5*random.Float64(),
			Features:     map[string]any{"amount": 100 + shift + 15*random.NormFloat64(), "country": countries[random.Intn(len(countries))]},
		}
		value, err := encode(event)
		if err != nil {
			fmt.Fprintln(os.Stderr, "encode:", err)
			os.Exit(1)
		}
		client.Produce(ctx, &kgo.Record{Key: []byte(modelID), Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
				fmt.Fprintln(os.Stderr, "produce:", err)
			}
		})
	}
	if err := client.Flush(ctx); err != nil || failed.Load() > 0 {
		fmt.Fprintf(os.Stderr, "flush: %v, %d records failed\n", err, failed.Load())
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "published %d events to %s\n", stationary+shifted, topic)
}
