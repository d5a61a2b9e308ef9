"""River's ADWIN over a PredictionEvent JSON-lines file: one detector per (model, numeric signal), updated
with every value, as River's drift detectors are used. Categorical signals have no River detector and are
left out. Prints one JSON object: what was read and detected (each detection as [event timestamp in ms,
"model/signal"], signals named as drift-detector names them), and the time spent importing River.

Run: python river_adwin.py <file>   (test/bench/peers.bench.ts times it as a child process)
"""

import json
import sys
import time

from event_lines import read_events

t0 = time.perf_counter()
from river import drift  # noqa: E402

import_ms = (time.perf_counter() - t0) * 1000


def numeric_signals(event):
    """The event's numeric signals (name, value), named and read as drift-detector does: booleans are
    categorical."""
    for field, name in (("prediction", "prediction"), ("confidence", "confidence"), ("latencyMs", "latency")):
        value = event.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield name, value
    for name, value in (event.get("features") or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield "feature:" + name, value


def main(path):
    detectors = {}
    detected = {}
    alarms = []
    events = updates = detections = 0
    for event in read_events(path):
        events += 1
        model = event["modelId"]
        for name, value in numeric_signals(event):
            key = (model, name)
            detector = detectors.get(key)
            if detector is None:
                detector = detectors[key] = drift.ADWIN()
            detector.update(value)
            updates += 1
            if detector.drift_detected:
                detections += 1
                detected[f"{model}/{name}"] = detected.get(f"{model}/{name}", 0) + 1
                alarms.append([event["timestamp"], f"{model}/{name}"])
    print(json.dumps({"tool": "river ADWIN", "events": events, "detectors": len(detectors), "updates": updates,
                      "detections": detections, "detectedBySignal": detected, "alarms": alarms, "importMs": round(import_ms)}))


if __name__ == "__main__":
    main(sys.argv[1])
