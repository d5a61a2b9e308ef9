// The predictions topic deleted and created again under a service whose Redis state remembers the old log
// (an operator's reset, or a move to another cluster whose copy keeps the name but not the offsets). Before,
// every record of the new log up to the stored offset was skipped as already applied, without a word.
import { describe, expect, it } from "vitest";
import {
  createPredictionsTopic,
  driftingServiceConfig,
  driftingStream,
  expectAmountShiftDetected,
  harnessKafka,
  predictionMessages,
  produceRaw,
  SHIFTED,
  startServiceInProcess,
  STATIONARY,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

/** Deletes the topic and creates it again, once the broker has finished deleting it. */
async function recreateTopic(kafka: ReturnType<typeof harnessKafka>, create: () => Promise<void>, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if (!(await admin.listTopics()).includes(topic)) {
          await create();
          return;
        }
      } catch (err) {
        // still marked for deletion
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic} was not deleted within 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

describe("a predictions topic recreated under the stored state", () => {
  it("the new log is applied from its start, the models' baselines kept: every event counted, the shift detected", async () => {
    const kafka = harnessKafka();
    const config = driftingServiceConfig("topic-recreated");
    const topics = config.kafka.topics;
    await createPredictionsTopic(kafka, config);
    const events = predictionMessages(driftingStream());
    await produceRaw(kafka, topics.predictions, events.slice(0, STATIONARY));
    const first = await startServiceInProcess(config);
    try {
      await first.pipeline.ready;
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, STATIONARY);
    } finally {
      await first.stop();
    }

    // the new log starts at offset 0 and ends below the stored offset (999) when the service comes back
    await recreateTopic(kafka, () => createPredictionsTopic(kafka, config), topics.predictions);
    const part = 600;
    await produceRaw(kafka, topics.predictions, events.slice(STATIONARY, STATIONARY + part));
    const second = await startServiceInProcess(config);
    try {
      await second.pipeline.ready;
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, part);
      await produceRaw(kafka, topics.predictions, events.slice(STATIONARY + part));
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, SHIFTED);
      const text = await second.metricsText();
      const replaced = text
        .split("\n")
        .find((l) => l.startsWith("drift_source_log_replaced_total{") && l.includes(`topic="${topics.predictions}"`));
      expect(replaced, "drift_source_log_replaced_total").toMatch(/ 1$/);
      const consumed = text.split("\n").find((l) => l.startsWith("drift_events_consumed_total{"));
      expect(consumed?.endsWith(` ${SHIFTED}`), consumed).toBe(true);
      // the reference pinned from the first log's windows judges the new log's shifted events
      await expectAmountShiftDetected(kafka, topics.drift);
    } finally {
      await second.stop();
    }
  }, 180_000);
});
