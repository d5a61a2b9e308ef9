// Model status with hysteresis (design §4): the status moves only after `consecutiveWindows` windows agree.
// Raising: N consecutive windows above the status raise it to the least severe level among them.
// Clearing: N consecutive windows below the status lower it to the most severe level among them.
import type { Status } from "../events/types.ts";
import { STATUS_RANK } from "./evaluate.ts";

export interface HysteresisState {
  status: Status;
  direction: "up" | "down" | "none";
  streak: number;
  /** up: least severe level seen in the streak; down: most severe */
  bound: Status;
}

export function createHysteresis(): HysteresisState {
  return { status: "ok", direction: "none", streak: 0, bound: "ok" };
}

export function nextHysteresis(state: HysteresisState, level: Status, consecutiveWindows: number): HysteresisState {
  const cmp = STATUS_RANK[level] - STATUS_RANK[state.status];
  if (cmp === 0) return { status: state.status, direction: "none", streak: 0, bound: state.status };
  const direction = cmp > 0 ? "up" : "down";
  const continuing = state.direction === direction;
  const streak = continuing ? state.streak + 1 : 1;
  let bound: Status = level;
  if (continuing) {
    bound =
      direction === "up"
        ? STATUS_RANK[level] < STATUS_RANK[state.bound]
          ? level
          : state.bound
        : STATUS_RANK[level] > STATUS_RANK[state.bound]
          ? level
          : state.bound;
  }
  if (streak >= consecutiveWindows) return { status: bound, direction: "none", streak: 0, bound };
  return { status: state.status, direction, streak, bound };
}
