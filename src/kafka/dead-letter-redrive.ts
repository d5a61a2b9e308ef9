// `drift-detector dead-letters redrive` and `dead-letters summary`: reading the dead-letter topic up to its end
// as of the start, and sending dead letters of one reason back to their source topic and partition, once.
// Exactly once: each chunk's copies (at most 500) and the redrive group's DLQ offsets are one Kafka transaction
// (a consume-transform-produce step, as Kafka Streams does it), so a crash or a second run never sends a
// dead letter back twice, and the service (read_committed) sees only committed copies. The group,
// `<kafka.groupId>.redrive.<reason>`, keeps each reason's progress apart; its transactional id is the same, so
// a second redrive of the reason started beside the first fences it. The group holds offsets only: each run
// reads with a consumer group of its own (deleted after) from the offsets the redrive group holds, so a run
// killed a moment ago leaves no member behind that the next run's join would wait out.
import type { Kafka, KafkaMessage } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { DetectorError } from "../errors/detector-error.ts";
import type { Logger } from "../logging/logger.ts";
import { redriveDecision, type RedriveFilter } from "./dead-letter.ts";

export class DeadLetterRedriveError extends DetectorError<{ topic: string; group?: string }> {}

export interface RedriveOptions {
  reason: string;
  /** only dead letters of this source topic (default: the predictions and the outcomes topic) */
  sourceTopic?: string;
  /** count what would go back, send nothing, commit nothing */
  dryRun: boolean;
  /** how long reading to the end may take before it is an error */
  timeoutMs: number;
}

interface RedriveTally {
  /** copies sent (dry run: that would be sent), by source topic */
  redriven: Record<string, number>;
  /** dead letters of the reason that cannot go back whole, by why */
  notRedrivable: Record<string, number>;
  /** dead letters of other reasons or source topics, passed over */
  other: number;
}

export interface RedriveResult extends RedriveTally {
  group: string;
  /** the DLQ's end per partition when the run started, which it read up to */
  end: Record<number, string>;
  dryRun: boolean;
}

export interface SummaryRow {
  sourceTopic: string;
  reason: string;
  count: number;
  /** how many of them hold their whole value (redrive can send those back) */
  redrivable: number;
  firstError: string;
}

/** The consumer group (and transactional id) of a redrive of `reason`. */
export function redriveGroup(config: ResolvedConfig, reason: string, sourceTopic?: string): string {
  return `${config.kafka.groupId}.redrive.${reason}${sourceTopic === undefined ? "" : `.${sourceTopic}`}`;
}

/** A consumer group for one run's reading, unique to it. */
function readerGroup(base: string): string {
  return `${base}.reader.${process.pid}.${Date.now()}`;
}

function headerText(headers: KafkaMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined) out[name] = v.toString();
  }
  return out;
}

// dead letters handed over (and so sent back in one transaction) at most at once: bounds a transaction's size
const CHUNK_MESSAGES = 500;

/** Where reading a topic starts and ends, per partition that has records left. */
interface ReadRange {
  /** the DLQ's end offset now, per partition with records after `from` */
  ends: Map<number, bigint>;
  /** the offsets `group` holds (where it goes on); partitions without one start at the beginning */
  from: Map<number, bigint>;
}

/** The ranges left to read of `topic`: from the offsets `group` holds (all of it without one) to the end now. */
async function readRange(kafka: Kafka, topic: string, group: string | undefined): Promise<ReadRange> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<number, bigint>();
    const from = new Map<number, bigint>();
    for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high));
    if (group !== undefined) {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      for (const p of committed?.partitions ?? []) {
        const at = BigInt(p.offset);
        if (at < 0n) continue;
        from.set(p.partition, at);
        const end = ends.get(p.partition);
        if (end !== undefined && at >= end) ends.delete(p.partition);
      }
    }
    return { ends, from };
  } finally {
    await admin.disconnect();
  }
}

/** Deletes a reader's own consumer group; best effort (an empty group expires by itself). */
async function deleteGroup(kafka: Kafka, group: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.disconnect();
}

/**
 * Reads `topic` with a consumer group of its own, `group` (which commits nothing), from `range.from` until
 * every partition of `range.ends` is read to its end, handing the messages below the end to `onBatch` in
 * chunks of at most CHUNK_MESSAGES. Resolves when done; rejects after `timeoutMs`.
 */
async function readToEnds(
  kafka: Kafka,
  topic: string,
  group: string,
  range: ReadRange,
  timeoutMs: number,
  onBatch: (partition: number, messages: KafkaMessage[], nextOffset: string) => Promise<void>,
): Promise<void> {
  const { ends, from } = range;
  if (ends.size === 0) return;
  const consumer = kafka.consumer({ groupId: group, readUncommitted: false, allowAutoTopicCreation: false });
  const pending = new Set(ends.keys());
  let finish!: () => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(
    () => fail(new DeadLetterRedriveError(`${topic} was not read to its end within ${timeoutMs} ms`, { topic, group })),
    timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const end = ends.get(batch.partition);
        if (end === undefined || !pending.has(batch.partition) || batch.isEmpty()) return;
        const start = from.get(batch.partition) ?? 0n;
        const below = batch.messages.filter((m) => BigInt(m.offset) < end && BigInt(m.offset) >= start);
        // past the batch's last offset (gaps of a compacted log included), but not past the end as of the start
        const afterLast = BigInt(batch.lastOffset()) + 1n;
        const next = afterLast < end ? afterLast : end;
        for (let i = 0; i < below.length; i += CHUNK_MESSAGES) {
          const chunk = below.slice(i, i + CHUNK_MESSAGES);
          const last = chunk[chunk.length - 1].offset;
          const chunkNext = i + CHUNK_MESSAGES >= below.length ? next : BigInt(last) + 1n;
          try {
            await onBatch(batch.partition, chunk, chunkNext.toString());
          } catch (e) {
            fail(e);
            return;
          }
          resolveOffset(last);
          // a fetch that starts over (after a rebalance of the reader's group) skips what was handed over
          from.set(batch.partition, chunkNext);
          await heartbeat();
        }
        if (next >= end) {
          pending.delete(batch.partition);
          if (pending.size === 0) finish();
        }
      },
    });
    // where the redrive group is: the reader's own group holds no offsets
    for (const [partition, offset] of from) if (ends.has(partition)) consumer.seek({ topic, partition, offset: offset.toString() });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await deleteGroup(kafka, group);
  }
}

function addTally(into: RedriveTally, from: RedriveTally): void {
  into.other += from.other;
  for (const [k, v] of Object.entries(from.redriven)) into.redriven[k] = (into.redriven[k] ?? 0) + v;
  for (const [k, v] of Object.entries(from.notRedrivable)) into.notRedrivable[k] = (into.notRedrivable[k] ?? 0) + v;
}

/** Sends the DLQ's dead letters of one reason back to their source topics, exactly once (see the top). */
export async function redriveDeadLetters(
  kafka: Kafka,
  config: ResolvedConfig,
  options: RedriveOptions,
  log: Logger,
): Promise<RedriveResult> {
  const dlq = config.kafka.topics.deadLetter;
  const { predictions, outcomes } = config.kafka.topics;
  const filter: RedriveFilter = {
    reason: options.reason,
    sourceTopics: options.sourceTopic === undefined ? [predictions, outcomes] : [options.sourceTopic],
  };
  const group = redriveGroup(config, options.reason, options.sourceTopic);
  const range = await readRange(kafka, dlq, group);
  const ends = range.ends;
  const result: RedriveResult = {
    group,
    redriven: {},
    notRedrivable: {},
    other: 0,
    end: Object.fromEntries([...ends].map(([p, o]) => [p, o.toString()])),
    dryRun: options.dryRun,
  };
  const producer = options.dryRun ? undefined : kafka.producer({ transactionalId: group, idempotent: true, maxInFlightRequests: 1 });
  await producer?.connect();
  try {
    await readToEnds(kafka, dlq, readerGroup(group), range, options.timeoutMs, async (partition, messages, nextOffset) => {
      const copies = new Map<
        string,
        { partition: number; key: Buffer | null; value: Buffer; headers: Record<string, string | Buffer> }[]
      >();
      const counted: RedriveTally = { redriven: {}, notRedrivable: {}, other: 0 };
      for (const m of messages) {
        const decision = redriveDecision({ key: m.key, value: m.value, headers: headerText(m.headers) }, filter);
        if (decision.kind === "other") counted.other++;
        else if (decision.kind === "not-redrivable") counted.notRedrivable[decision.why] = (counted.notRedrivable[decision.why] ?? 0) + 1;
        else {
          const list = copies.get(decision.topic) ?? [];
          list.push({ partition: decision.partition, key: decision.key, value: decision.value, headers: decision.headers });
          copies.set(decision.topic, list);
          counted.redriven[decision.topic] = (counted.redriven[decision.topic] ?? 0) + 1;
        }
      }
      if (producer !== undefined) {
        const transaction = await producer.transaction();
        try {
          for (const [topic, list] of copies) await transaction.send({ topic, messages: list });
          await transaction.sendOffsets({
            consumerGroupId: group,
            topics: [{ topic: dlq, partitions: [{ partition, offset: nextOffset }] }],
          });
          await transaction.commit();
        } catch (e) {
          await transaction.abort().catch(() => undefined);
          throw e;
        }
      }
      // counted only once the transaction committed
      addTally(result, counted);
      log.debug({ partition, nextOffset }, "dead letters redriven");
    });
  } finally {
    await producer?.disconnect().catch(() => undefined);
  }
  return result;
}

/** Counts the whole DLQ by source topic and reason, reading it with a throwaway group that is deleted after. */
export async function summariseDeadLetters(kafka: Kafka, config: ResolvedConfig, timeoutMs: number): Promise<SummaryRow[]> {
  const dlq = config.kafka.topics.deadLetter;
  const rows = new Map<string, SummaryRow>();
  const range = await readRange(kafka, dlq, undefined);
  await readToEnds(
    kafka,
    dlq,
    readerGroup(`${config.kafka.groupId}.dead-letters-summary`),
    range,
    timeoutMs,
    async (_partition, messages) => {
      for (const m of messages) {
        const headers = headerText(m.headers);
        const sourceTopic = headers["source-topic"] ?? "?";
        const reason = headers.reason ?? "?";
        const key = `${sourceTopic}\u0000${reason}`;
        const row = rows.get(key) ?? { sourceTopic, reason, count: 0, redrivable: 0, firstError: headers.error ?? "" };
        row.count++;
        const decision = redriveDecision({ key: m.key, value: m.value, headers }, { reason, sourceTopics: [sourceTopic] });
        if (decision.kind === "redrive") row.redrivable++;
        rows.set(key, row);
      }
    },
  );
  return [...rows.values()].sort((a, b) => a.sourceTopic.localeCompare(b.sourceTopic) || b.count - a.count);
}

export function formatRedrive(r: RedriveResult, reason: string): string {
  const sent = Object.entries(r.redriven);
  const total = sent.reduce((s, [, n]) => s + n, 0);
  const to = sent.length === 0 ? "" : ` (${sent.map(([t, n]) => `${t} ${n}`).join(", ")})`;
  const notBack = Object.entries(r.notRedrivable);
  const lines = [
    `dead-letters redrive${r.dryRun ? " --dry-run" : ""}: ${total} dead letters of reason ${reason} ${r.dryRun ? "would go" : "sent"} back${to}; ` +
      `${r.other} of other reasons or topics passed over`,
  ];
  for (const [why, n] of notBack) lines.push(`  ${n} not sent back: ${why}`);
  const ends = Object.entries(r.end);
  lines.push(
    ends.length === 0
      ? `  nothing new: group ${r.group} was already at the end of the dead-letter topic`
      : `  read to ${ends.map(([p, o]) => `partition ${p} offset ${o}`).join(", ")}${r.dryRun ? "" : ` (group ${r.group})`}`,
  );
  return lines.join("\n");
}

export function formatSummary(rows: readonly SummaryRow[], dlq: string): string {
  if (rows.length === 0) return `${dlq}: empty`;
  const header = ["SOURCE TOPIC", "REASON", "COUNT", "REDRIVABLE", "FIRST ERROR"];
  const body = rows.map((r) => [r.sourceTopic, r.reason, String(r.count), String(r.redrivable), r.firstError.slice(0, 100)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  return [header, ...body].map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
}
