// The model configs the real-data suite replays its streams with (test/unit/realdata/), shared with the
// benchmark of the peers' alarms on the same streams (test/bench/peers-alarms.bench.ts).

const DAY_MS = 86_400_000;

/**
 * The model config of the weather streams. Windows of 30 days (30 daily events; maxEvents above that, so they close by
 * time), evaluated from 20 events. The reference spans one year of event time (`referenceDurationMs`: the
 * windows starting within 365 days of the first, 13 windows, 390 days: every season once, plus a month); its
 * 12 window-to-window comparisons measure each signal's dependence factor (the seasonal cycle and day-to-day
 * persistence: D ≈ 50 for temperatures, 4 for pressure). A monthOfYear reference would need several years
 * (README "On real data": with 3 years the iid out-of-range test dominates), so the reference is one year. The rolling
 * baseline is the last 12 windows (about a year). Everything else is the default: retrain cooldown 12 h, so
 * only incidents bound the retrain requests, not the timer.
 */
export const WEATHER_MODEL_CONFIG = {
  window: { maxEvents: 100, maxDurationMs: 30 * DAY_MS, minEvents: 20 },
  baseline: { warmupWindows: 1, referenceDurationMs: 365 * DAY_MS, rollingWindows: 12 },
};
