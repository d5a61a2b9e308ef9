import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { decodePredictionMessage, encodeJson } from "../../../src/events/codec.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import { processChunk, settle, type DecodedMessage, type ProcessorSettings } from "../../../src/pipeline/partition-processor.ts";
import { PartitionStates, type PartitionSlot } from "../../../src/pipeline/partition-states.ts";
import { InMemoryStateStore } from "../../../src/state/memory-store.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

const config = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3 } } });
const decodeContext = { schemaForId: () => undefined, maxMessageBytes: config.limits.maxMessageBytes };

async function freshSlot(): Promise<{ slot: PartitionSlot; settings: ProcessorSettings; store: InMemoryStateStore }> {
  const store = new InMemoryStateStore();
  const slot = await new PartitionStates(store, "g", "t", config.limits).load(0);
  const settings: ProcessorSettings = {
    sourceTopic: "t",
    topics: config.kafka.topics,
    maxDeadLetterValueBytes: 1024,
    engine: engineContextFrom(config, () => slot.state.maxEventTime),
  };
  return { slot, settings, store };
}

function messages(events: PredictionEvent[], firstOffset: bigint): DecodedMessage[] {
  return events.map((event, i) => {
    const value = encodeJson(event);
    return {
      message: { offset: String(firstOffset + BigInt(i)), key: null, value },
      result: decodePredictionMessage(value, decodeContext),
    };
  });
}

// 12 windows of 200 events; x0 shifts by 1σ from the 7th, so drift events come out
const events = [...predictionStream(200 * 12, { seed: 5, shiftSigma: (i) => (i >= 200 * 6 ? 1 : 0) })];

/** Applies the events in chunks of 500 and commits each; returns every write and the final state. */
async function run(discardModels: boolean, firstOffset = 0n) {
  const { slot, settings, store } = await freshSlot();
  const all = messages(events, firstOffset);
  const writes = [];
  for (let from = 0; from < all.length; from += 500) {
    const endOfInput = from + 500 >= all.length;
    const chunk = processChunk(slot, all.slice(from, from + 500), settings, {
      wallClockMs: STREAM_WALL_CLOCK_MS,
      endOfInput,
      discardModels,
    });
    expect(chunk).not.toBeNull();
    await store.commitPartition(slot.ref, chunk!.write);
    settle(slot, chunk!);
    writes.push(chunk!.write);
  }
  return { writes, state: slot.state };
}

describe("processChunk", () => {
  it("with discardModels writes the same offsets, meta and outbox without the models' state, and decides the same", async () => {
    const kept = await run(false);
    const discarded = await run(true);
    expect(kept.writes.flatMap((w) => w.outbox).filter((e) => e.kind === "drift").length).toBeGreaterThan(0);
    expect(discarded.writes.map((w) => [w.expectedOffset, w.offset, w.meta, w.outbox])).toEqual(
      kept.writes.map((w) => [w.expectedOffset, w.offset, w.meta, w.outbox]),
    );
    expect(kept.writes.every((w) => w.models.size > 0)).toBe(true);
    expect(discarded.writes.every((w) => w.models.size === 0)).toBe(true);
    expect(discarded.state).toEqual(kept.state);
  });

  it("orders offsets beyond 2^53 exactly: a redelivered message one below the stored offset is skipped", async () => {
    const { slot, settings } = await freshSlot();
    const first = 2n ** 53n - 2n; // offsets 2^53 - 2 … cross 2^53, where Numbers stop being exact
    const all = messages(events.slice(0, 6), first);
    const chunk = processChunk(slot, all.slice(0, 3), settings, { wallClockMs: STREAM_WALL_CLOCK_MS });
    expect(chunk?.lastOffset).toBe("9007199254740992");
    settle(slot, chunk!);
    // redelivered from the second message on: the two already applied are skipped, the rest applied
    const again = processChunk(slot, all.slice(1), settings, { wallClockMs: STREAM_WALL_CLOCK_MS });
    expect(again?.metrics.accepted).toBe(3);
    expect(again?.lastOffset).toBe("9007199254740995");
    expect(slot.state.counters.accepted).toBe(6);
  });
});
