// Join of outcome events (ground truth) to prediction events by eventId, per model (design §4 "Outcomes").
// Pure and synchronous. A pending prediction keeps only what the performance metrics need, never the event.
//
// Expiry is by event time, and each side expires by the other side's watermark: a prediction expires once
// an outcome later than its time + labelDelayMs has been seen (its label would have arrived by then), an
// early outcome once a prediction that much later has been seen. So a consumer that reads the outcomes
// topic behind the predictions topic does not expire predictions whose labels it simply has not read yet.
// Entries are scanned oldest-inserted first and the scan stops at the first live entry: an entry inserted
// out of event-time order can outlive its deadline by the stream's disorder (memory only — a join always
// checks the label delay exactly).
//
// One outcome stamped far ahead of the stream (a mis-set clock, a backfill stamped "now") would move the
// outcome watermark alone and expire every pending prediction at once. So, like a partition's watermark
// (windows/event-time.ts), the outcome watermark moves ahead by more than maxForwardJumpMs or the label
// delay, whichever is smaller (a jump beyond the label delay expires predictions still inside theirs), only
// when forwardJumpConfirmations outcomes in a row jump to about the same time. The outcomes that jump
// unconfirmed are still joined, buffered or counted like any other and are counted `unconfirmedJumps`;
// only the watermark ignores them, so confirming costs nothing but later expiry, and unlike the partition's
// check there is no wall-clock exception.
//
// The join records what it changed (JoinState.changes) so the shell persists only those entries, not the
// whole state (issue 11: a model may hold performance.maxPending entries); each entry carries its insertion
// sequence, so a state loaded from unordered storage is put back in insertion order (loadJoinEntries).
import { confirmForwardJump, type EventTimeBounds, type PendingForwardJump } from "../windows/event-time.ts";

export interface PendingPrediction {
  modelVersion: string;
  /** the prediction window the event belonged to (evidence) */
  windowId: string;
  /** prediction event time */
  timestamp: number;
  predictedClass: string | null;
  prediction: number | null;
  confidence: number | null;
  /** per configured segment key, the prediction's attribute value (or __other__); absent without segments */
  segments?: Record<string, string>;
}

export interface EarlyOutcome {
  timestamp: number;
  /** input position of the outcome (outcomes-topic offset / replay line), decimal: evidence of the window */
  offset: string;
  actual: number | null;
  actualClass: string | null;
}

export interface OutcomeInput extends EarlyOutcome {
  eventId: string;
}

export interface JoinedOutcome extends PendingPrediction {
  eventId: string;
  outcomeTime: number;
  outcomeOffset: string;
  actual: number | null;
  actualClass: string | null;
  /** outcome time − prediction time, clamped at 0 */
  labelDelayMs: number;
}

export interface JoinCounters {
  /** predictions registered to wait for an outcome */
  predictions: number;
  matched: number;
  /** predictions whose outcome did not arrive within the label delay (or that the count bound pushed out) */
  expired: number;
  /** of `expired`: pushed out by maxPending before their time */
  evicted: number;
  /** outcomes whose eventId was already joined (or already waiting) */
  duplicateOutcomes: number;
  /** predictions whose eventId was already pending or joined */
  duplicatePredictions: number;
  /** outcomes that arrived before their prediction (buffered, joined when it comes) */
  early: number;
  /** outcomes whose prediction never came within the label delay (expired or evicted early outcomes) */
  unknown: number;
  /** outcomes that arrived more than labelDelayMs after their prediction: counted, not joined */
  tooLate: number;
  /** outcomes that jumped too far ahead of the outcome watermark, unconfirmed: did not move it (joined or buffered still) */
  unconfirmedJumps: number;
}

export type JoinCounter = keyof JoinCounters;

export type JoinEntryKind = "pending" | "joined" | "early";

/**
 * Entries changed since the last persist, per collection: eventId → the insertion sequence it was (last)
 * inserted with. An id present in its collection is written with that sequence, an absent one deleted.
 */
export interface JoinChanges {
  pending: Map<string, number>;
  joined: Map<string, number>;
  early: Map<string, number>;
}

export interface JoinState {
  /** predictions waiting for an outcome, in insertion order */
  pending: Map<string, PendingPrediction>;
  /** eventId → prediction time of joined predictions, kept for the label delay to recognise duplicates */
  joined: Map<string, number>;
  /** outcomes waiting for their prediction, in insertion order */
  early: Map<string, EarlyOutcome>;
  /** largest prediction / outcome event time seen */
  predictionWatermark: number;
  outcomeWatermark: number;
  /** a jump of outcome time ahead of outcomeWatermark being confirmed; absent when none */
  pendingOutcomeJump?: PendingForwardJump;
  counters: JoinCounters;
  /** insertion sequence of the next entry of any collection (orders the entries when they are loaded) */
  nextSeq: number;
  /** what changed since the last persist (cleared by the shell once it is written) */
  changes: JoinChanges;
}

/** When an outcome may move the outcome watermark far ahead (the event-time settings of predictions). */
export type OutcomeJumpBounds = Pick<EventTimeBounds, "maxForwardJumpMs" | "forwardJumpConfirmations">;

export interface JoinSettings {
  labelDelayMs: number;
  maxPending: number;
  maxEarlyOutcomes: number;
}

export function createJoinCounters(): JoinCounters {
  return {
    predictions: 0,
    matched: 0,
    expired: 0,
    evicted: 0,
    duplicateOutcomes: 0,
    duplicatePredictions: 0,
    early: 0,
    unknown: 0,
    tooLate: 0,
    unconfirmedJumps: 0,
  };
}

export function createJoinChanges(): JoinChanges {
  return { pending: new Map(), joined: new Map(), early: new Map() };
}

export function createJoinState(): JoinState {
  return {
    pending: new Map(),
    joined: new Map(),
    early: new Map(),
    predictionWatermark: 0,
    outcomeWatermark: 0,
    counters: createJoinCounters(),
    nextSeq: 0,
    changes: createJoinChanges(),
  };
}

/** Forget the recorded changes: they are persisted. */
export function clearJoinChanges(state: JoinState): void {
  state.changes.pending.clear();
  state.changes.joined.clear();
  state.changes.early.clear();
}

/** An entry as stored: its collection, id, insertion sequence and value. */
export type StoredJoinEntry =
  | { kind: "pending"; eventId: string; seq: number; value: PendingPrediction }
  | { kind: "joined"; eventId: string; seq: number; value: number }
  | { kind: "early"; eventId: string; seq: number; value: EarlyOutcome };

/**
 * Puts stored entries (any order) into the state's collections in insertion order. `nextSeq` must be
 * above every entry's sequence, as the state that wrote them kept it.
 */
export function loadJoinEntries(state: JoinState, entries: StoredJoinEntry[]): void {
  entries.sort((a, b) => a.seq - b.seq);
  for (const e of entries) {
    if (e.kind === "pending") state.pending.set(e.eventId, e.value);
    else if (e.kind === "joined") state.joined.set(e.eventId, e.value);
    else state.early.set(e.eventId, e.value);
  }
}

/** Every entry as changed (a state decoded from a record that held them inline is written out whole once). */
export function markAllJoinEntriesChanged(state: JoinState): void {
  for (const id of state.pending.keys()) state.changes.pending.set(id, state.nextSeq++);
  for (const id of state.joined.keys()) state.changes.joined.set(id, state.nextSeq++);
  for (const id of state.early.keys()) state.changes.early.set(id, state.nextSeq++);
}

function insertPending(state: JoinState, eventId: string, p: PendingPrediction): void {
  state.pending.set(eventId, p);
  state.changes.pending.set(eventId, state.nextSeq++);
}

function deletePending(state: JoinState, eventId: string): void {
  state.pending.delete(eventId);
  if (!state.changes.pending.has(eventId)) state.changes.pending.set(eventId, -1);
}

function insertJoined(state: JoinState, eventId: string, predictionTime: number): void {
  state.joined.set(eventId, predictionTime);
  state.changes.joined.set(eventId, state.nextSeq++);
}

function deleteJoined(state: JoinState, eventId: string): void {
  state.joined.delete(eventId);
  if (!state.changes.joined.has(eventId)) state.changes.joined.set(eventId, -1);
}

function insertEarly(state: JoinState, eventId: string, o: EarlyOutcome): void {
  state.early.set(eventId, o);
  state.changes.early.set(eventId, state.nextSeq++);
}

function deleteEarly(state: JoinState, eventId: string): void {
  state.early.delete(eventId);
  if (!state.changes.early.has(eventId)) state.changes.early.set(eventId, -1);
}

function joinedOutcome(eventId: string, p: PendingPrediction, o: EarlyOutcome): JoinedOutcome {
  return {
    ...p,
    eventId,
    outcomeTime: o.timestamp,
    outcomeOffset: o.offset,
    actual: o.actual,
    actualClass: o.actualClass,
    labelDelayMs: Math.max(0, o.timestamp - p.timestamp),
  };
}

function firstKey<K, V>(m: Map<K, V>): K | undefined {
  for (const k of m.keys()) return k;
  return undefined;
}

function remember(state: JoinState, eventId: string, predictionTime: number, settings: JoinSettings): void {
  insertJoined(state, eventId, predictionTime);
  if (state.joined.size > settings.maxPending) {
    const oldest = firstKey(state.joined);
    if (oldest !== undefined) deleteJoined(state, oldest);
  }
}

/** A prediction's outcome, if one is joined now (it had arrived early); otherwise the prediction waits. */
export function registerPrediction(state: JoinState, eventId: string, p: PendingPrediction, settings: JoinSettings): JoinedOutcome | null {
  if (p.timestamp > state.predictionWatermark) state.predictionWatermark = p.timestamp;
  let result: JoinedOutcome | null = null;
  if (state.pending.has(eventId) || state.joined.has(eventId)) state.counters.duplicatePredictions++;
  else {
    state.counters.predictions++;
    const early = state.early.get(eventId);
    if (early !== undefined) {
      deleteEarly(state, eventId);
      if (early.timestamp - p.timestamp > settings.labelDelayMs) state.counters.tooLate++;
      else {
        state.counters.matched++;
        result = joinedOutcome(eventId, p, early);
      }
      remember(state, eventId, p.timestamp, settings);
    } else {
      insertPending(state, eventId, p);
      if (state.pending.size > settings.maxPending) {
        const oldest = firstKey(state.pending);
        if (oldest !== undefined) {
          deletePending(state, oldest);
          state.counters.expired++;
          state.counters.evicted++;
        }
      }
    }
  }
  expireEarlyOutcomes(state, settings);
  return result;
}

/** Move the outcome watermark to an outcome's time unless that is an unconfirmed far jump (counted). */
function advanceOutcomeWatermark(
  state: JoinState,
  timestamp: number,
  settings: JoinSettings,
  jumpBounds: OutcomeJumpBounds | undefined,
): void {
  if (jumpBounds !== undefined) {
    // 0 is the watermark before the first outcome: that one sets it
    const watermark = state.outcomeWatermark === 0 ? -Infinity : state.outcomeWatermark;
    const bounds = { ...jumpBounds, maxForwardJumpMs: Math.min(jumpBounds.maxForwardJumpMs, settings.labelDelayMs) };
    const jump = confirmForwardJump(timestamp, watermark, bounds, state.pendingOutcomeJump ?? null);
    if (jump.confirmed) delete state.pendingOutcomeJump;
    else {
      state.pendingOutcomeJump = jump.pendingJump;
      state.counters.unconfirmedJumps++;
      return;
    }
  }
  if (timestamp > state.outcomeWatermark) state.outcomeWatermark = timestamp;
}

/**
 * An outcome's join with its waiting prediction, or null (buffered as early, duplicate or too late: counted).
 * Without `jumpBounds` any outcome moves the outcome watermark.
 */
export function applyOutcome(
  state: JoinState,
  outcome: OutcomeInput,
  settings: JoinSettings,
  jumpBounds?: OutcomeJumpBounds,
): JoinedOutcome | null {
  advanceOutcomeWatermark(state, outcome.timestamp, settings, jumpBounds);
  const { eventId } = outcome;
  let result: JoinedOutcome | null = null;
  const p = state.pending.get(eventId);
  if (p !== undefined) {
    deletePending(state, eventId);
    if (outcome.timestamp - p.timestamp > settings.labelDelayMs) {
      state.counters.tooLate++;
      state.counters.expired++;
    } else {
      state.counters.matched++;
      result = joinedOutcome(eventId, p, outcome);
    }
    remember(state, eventId, p.timestamp, settings);
  } else if (state.joined.has(eventId) || state.early.has(eventId)) {
    state.counters.duplicateOutcomes++;
  } else {
    state.counters.early++;
    insertEarly(state, eventId, {
      timestamp: outcome.timestamp,
      offset: outcome.offset,
      actual: outcome.actual,
      actualClass: outcome.actualClass,
    });
    if (state.early.size > settings.maxEarlyOutcomes) {
      const oldest = firstKey(state.early);
      if (oldest !== undefined) {
        deleteEarly(state, oldest);
        state.counters.unknown++;
      }
    }
  }
  expirePendingPredictions(state, settings);
  return result;
}

/** Drop predictions whose label delay the outcome watermark passed. Returns how many expired. */
export function expirePendingPredictions(state: JoinState, settings: JoinSettings): number {
  const limit = state.outcomeWatermark - settings.labelDelayMs;
  let n = 0;
  for (const [id, p] of state.pending) {
    if (p.timestamp >= limit) break;
    deletePending(state, id);
    n++;
  }
  state.counters.expired += n;
  for (const [id, t] of state.joined) {
    if (t >= limit) break;
    deleteJoined(state, id);
  }
  return n;
}

/** Drop early outcomes whose label delay the prediction watermark passed: their prediction is unknown. */
export function expireEarlyOutcomes(state: JoinState, settings: JoinSettings): number {
  const limit = state.predictionWatermark - settings.labelDelayMs;
  let n = 0;
  for (const [id, o] of state.early) {
    if (o.timestamp >= limit) break;
    deleteEarly(state, id);
    n++;
  }
  state.counters.unknown += n;
  return n;
}
