// Attribution of a segment-mix change (issue 11 "Segments"; deploy/docs/statistics.md "Segments").
// The model-level distribution of every signal is a mixture of the segments' distributions weighted by
// their shares. When the shares move (one segment is scored in a batch), every model-level signal whose
// segments differ moves with them, although no segment changed: the model-level tests then reject
// "same mixture", which the mix test already says. So when a `segment_mix:<key>` signal drifts, the
// model-level data signals are not counted for the window's level: the mix signal drives the status, and
// drift of the data is judged within the segments (`segment:<key>=<segment>/<signal>`), each against the
// same segment of the baseline, where the mix cannot move it. Their statistics are still reported, marked
// with `segmentMixAttributed: 1`.
import type { Status } from "../events/types.ts";
import type { Baseline } from "../baseline/baseline.ts";
import { STATUS_RANK, type SignalEvaluation, type WindowEvaluation } from "./evaluate.ts";
import { isModelDataSignal, isSegmentMixSignal } from "../windows/segments.ts";

export function attributeToSegmentMix(evaluation: WindowEvaluation, baselines: readonly Baseline[]): WindowEvaluation {
  if (!evaluation.signals.some((s) => isSegmentMixSignal(s.signal) && s.status !== "ok")) return evaluation;
  let level: Status = "ok";
  let driving: SignalEvaluation | undefined;
  const signals = evaluation.signals.map((s) => {
    const attributed: SignalEvaluation =
      s.status !== "ok" && isModelDataSignal(s.signal)
        ? { ...s, status: "ok", effect: 0, statistics: { ...s.statistics, segmentMixAttributed: 1 } }
        : s;
    if (STATUS_RANK[attributed.status] > STATUS_RANK[level]) {
      level = attributed.status;
      driving = attributed;
    }
    return attributed;
  });
  const drivingBaseline =
    baselines.find((b) => b.kind === driving?.baseline.kind && b.id === driving.baseline.id) ?? evaluation.drivingBaseline;
  return { ...evaluation, signals, level, drivingBaseline };
}
