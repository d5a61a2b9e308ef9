// The oracle of the delivery tests: the engine fed a predictions topic's messages partition by partition in
// offset order, in the test's process, with no crash, no rebalance and no broker failure; and the check that a
// service which went through them ended in exactly that state, with those offsets committed and those outputs
// on the wire (by id: duplicates on the wire are allowed, a missing or extra id is not).
import { expect } from "vitest";
import type { Kafka } from "kafkajs";
import type { ResolvedConfig } from "../../src/config/load.ts";
import { engineContextFrom } from "../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type PartitionState } from "../../src/detect/engine.ts";
import { decodePredictionMessage } from "../../src/events/codec.ts";
import { deadLetterId } from "../../src/kafka/dead-letter.ts";
import { decodePartitionState, encodeModelCold, encodeModelHot } from "../../src/state/engine-state-codec.ts";
import type { PartitionRef } from "../../src/state/port.ts";
import type { RedisStateStore } from "../../src/state/redis-store.ts";
import { committedOffsets, readAllMessages, waitFor, type ReadMessage } from "./service-harness.ts";
import { expectSameEncoding } from "./state-comparison.ts";

export interface UninterruptedRun {
  states: Map<number, PartitionState>;
  lastOffsets: Map<number, string>;
  driftIds: Set<string>;
  retrainIds: Set<string>;
  deadLetterIds: Set<string>;
  valid: number;
}

/** The engine over the topic's messages, partition by partition in offset order, no crash. */
export function uninterruptedRun(messages: ReadMessage[], topic: string, config: ResolvedConfig): UninterruptedRun {
  const ctx = engineContextFrom(config, () => 0);
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes: config.limits.maxMessageBytes };
  const run: UninterruptedRun = {
    states: new Map(),
    lastOffsets: new Map(),
    driftIds: new Set(),
    retrainIds: new Set(),
    deadLetterIds: new Set(),
    valid: 0,
  };
  for (const m of messages) {
    let state = run.states.get(m.partition);
    if (state === undefined) {
      state = createPartitionState(m.partition);
      run.states.set(m.partition, state);
    }
    run.lastOffsets.set(m.partition, m.offset);
    const decoded = decodePredictionMessage(m.value, decodeContext);
    if (!decoded.ok) {
      run.deadLetterIds.add(deadLetterId(topic, m.partition, m.offset));
      continue;
    }
    run.valid++;
    for (const o of applyPrediction(state, decoded.event, m.offset, ctx, Date.now()).outputs) {
      if (o.kind === "drift") run.driftIds.add(o.event.eventId);
      else if (o.kind === "retrain") run.retrainIds.add(o.request.requestId);
    }
  }
  return run;
}

export function idsOf(messages: ReadMessage[], header: string): { ids: Set<string>; total: number } {
  const ids = new Set<string>();
  for (const m of messages) {
    const id = m.headers[header];
    expect(id, `message at ${m.partition}/${m.offset} has a ${header} header`).toBeDefined();
    ids.add(id);
  }
  return { ids, total: messages.length };
}

/** Waits until no partition's outbox holds an entry (everything persisted was published). */
export async function waitForOutboxesDrained(store: RedisStateStore, refs: readonly PartitionRef[], timeoutMs = 60_000): Promise<void> {
  await waitFor(
    "outboxes drained",
    async () => {
      for (const ref of refs) if ((await store.pendingOutbox(ref, 1)).length > 0) return undefined;
      return true;
    },
    timeoutMs,
    100,
  );
}

/** What the outputs cost on the wire: ids seen once or more, and how many records carried them. */
export interface WireCounts {
  drift: { unique: number; onWire: number };
  retrain: { unique: number; onWire: number };
  deadLetters: { unique: number; onWire: number };
}

/**
 * The stored state (model by model, byte for byte), the committed offsets and the outputs' ids are the
 * uninterrupted run's. Returns the wire counts for the test's record.
 */
export async function expectUninterruptedOutcome(args: {
  store: RedisStateStore;
  kafka: Kafka;
  config: ResolvedConfig;
  refs: PartitionRef[];
  expected: UninterruptedRun;
}): Promise<WireCounts> {
  const { store, kafka, config, refs, expected } = args;
  const { topics, groupId } = config.kafka;
  for (const ref of refs) {
    const stored = await store.loadPartition(ref);
    expect(stored.offset).toBe(expected.lastOffsets.get(ref.partition));
    const state = decodePartitionState(ref.partition, stored.meta, stored.models);
    const oracle = expected.states.get(ref.partition);
    if (oracle === undefined) throw new Error(`no uninterrupted state for partition ${ref.partition}`);
    expect(state.counters).toEqual(oracle.counters);
    expect(state.maxEventTime).toBe(oracle.maxEventTime);
    expect([...state.models.keys()]).toEqual([...oracle.models.keys()]);
    for (const [modelId, model] of oracle.models) {
      const got = state.models.get(modelId);
      if (got === undefined) throw new Error(`model ${modelId} missing in partition ${ref.partition}`);
      for (const [version, v] of model.versions) {
        const g = got.versions.get(version);
        expect(g?.windowsClosed, `${modelId}@${version} windows closed`).toBe(v.windowsClosed);
        expect(g?.window.count, `${modelId}@${version} open window count`).toBe(v.window.count);
        expect(g?.hysteresis).toEqual(v.hysteresis);
      }
      expect(got.retrain).toEqual(model.retrain);
      // the sketches and everything else: the encodings are equal byte for byte
      expectSameEncoding(encodeModelHot(got), encodeModelHot(model), `p${ref.partition} ${modelId} hot state`);
      expectSameEncoding(encodeModelCold(got), encodeModelCold(model), `p${ref.partition} ${modelId} cold state`);
    }
  }
  const committed = await committedOffsets(kafka, groupId, topics.predictions);
  for (const ref of refs) expect(committed.get(ref.partition)).toBe(String(BigInt(expected.lastOffsets.get(ref.partition) ?? "-1") + 1n));

  const drift = idsOf(await readAllMessages(kafka, topics.drift), "event-id");
  const retrain = idsOf(await readAllMessages(kafka, topics.retrain), "request-id");
  const dlq = idsOf(await readAllMessages(kafka, topics.deadLetter), "dlq-id");
  expect([...drift.ids].sort()).toEqual([...expected.driftIds].sort());
  expect([...retrain.ids].sort()).toEqual([...expected.retrainIds].sort());
  expect([...dlq.ids].sort()).toEqual([...expected.deadLetterIds].sort());
  return {
    drift: { unique: drift.ids.size, onWire: drift.total },
    retrain: { unique: retrain.ids.size, onWire: retrain.total },
    deadLetters: { unique: dlq.ids.size, onWire: dlq.total },
  };
}
