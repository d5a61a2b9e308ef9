// Publishes prediction events as JSON with franz-go, snappy-compressed: a stationary stream, then one where
// the feature `amount` is shifted by one standard deviation. Keyed by modelId.
//
//	cd deploy/examples/go && KAFKA_BROKERS=127.0.0.1:19092 go run .
//
// Environment: KAFKA_BROKERS, TOPIC (ml.predictions), MODEL_ID (fraud-scorer), MODEL_VERSION (v1),
// STATIONARY (1000), SHIFTED (1200), SEED (42).
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

	"github.com/twmb/franz-go/pkg/kgo"
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
		value, _ := json.Marshal(event)
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
