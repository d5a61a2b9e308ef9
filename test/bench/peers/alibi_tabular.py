"""alibi-detect's TabularDrift (a K-S test per numeric signal, chi-squared per categorical one, Bonferroni
across them) over a PredictionEvent JSON-lines file, windowed as the detector windows it by default: per
model, windows of 1 000 events, each tested against the model's first window (or its first `reference`
events: a reference of several windows, as drift-detector's). Missing values are coded as -1 (numeric) and as
a category of their own. Prints one JSON object: what was read and tested, each drifted window as [its first
and last event's timestamps, the signals whose p-value is under the corrected threshold (named as drift-detector names
them)], and the time spent importing alibi-detect.

Run: python alibi_tabular.py <file> [window] [reference]   (test/bench/peers.bench.ts and
peers-alarms.bench.ts run it as a child process)
"""

import json
import sys
import time

from event_lines import read_events

t0 = time.perf_counter()
import numpy as np  # noqa: E402
from alibi_detect.cd import TabularDrift  # noqa: E402

import_ms = (time.perf_counter() - t0) * 1000


class Model:
    """One model's signals in column order (fixed by its first event), its category codes and open window."""

    def __init__(self, event):
        self.numeric = [n for n in ("prediction", "confidence", "latencyMs") if event.get(n) is not None]
        self.numeric_features = []
        self.categorical_features = []
        for name, value in (event.get("features") or {}).items():
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            (self.numeric_features if is_number or value is None else self.categorical_features).append(name)
        self.categorical = ["predictedClass"] if event.get("predictedClass") is not None else []
        self.codes = {}
        self.rows = []
        self.detector = None

    def row(self, event):
        features = event.get("features") or {}
        out = [_number(event.get(n)) for n in self.numeric]
        out += [_number(features.get(n)) for n in self.numeric_features]
        out += [self._code(n, event.get(n)) for n in self.categorical]
        out += [self._code(n, features.get(n)) for n in self.categorical_features]
        return out

    def _code(self, name, value):
        codes = self.codes.setdefault(name, {})
        return codes.setdefault(value, len(codes))

    def columns(self):
        return len(self.numeric) + len(self.numeric_features), len(self.categorical) + len(self.categorical_features)

    def signal_names(self):
        """The columns in row order, named as drift-detector names the signals."""
        core = {"prediction": "prediction", "confidence": "confidence", "latencyMs": "latency", "predictedClass": "predictedClass"}
        return ([core[n] for n in self.numeric] + ["feature:" + n for n in self.numeric_features]
                + [core[n] for n in self.categorical] + ["feature:" + n for n in self.categorical_features])


def _number(value):
    return -1.0 if value is None or isinstance(value, bool) else float(value)


def main(path, window, reference):
    models = {}
    events = windows = drifted = 0
    alarms = []
    for event in read_events(path):
        events += 1
        model = models.get(event["modelId"])
        if model is None:
            model = models[event["modelId"]] = Model(event)
        if not model.rows:
            model.window_start = event["timestamp"]
        model.rows.append(model.row(event))
        if len(model.rows) < (window if model.detector is not None else reference):
            continue
        x = np.asarray(model.rows, dtype=np.float64)
        model.rows = []
        if model.detector is None:
            numeric, categorical = model.columns()
            categories = {numeric + i: None for i in range(categorical)}
            model.detector = TabularDrift(x, p_val=0.05, categories_per_feature=categories)
            continue
        windows += 1
        result = model.detector.predict(x)["data"]
        if result["is_drift"]:
            drifted += 1
            names = model.signal_names()
            flagged = [names[i] for i, p in enumerate(result["p_val"]) if p < result["threshold"]]
            alarms.append([model.window_start, event["timestamp"], [f"{event['modelId']}/{n}" for n in flagged]])
    print(json.dumps({"tool": "alibi-detect TabularDrift", "events": events, "models": len(models), "windows": windows,
                      "drifted": drifted, "alarms": alarms, "importMs": round(import_ms)}))


if __name__ == "__main__":
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    main(sys.argv[1], size, int(sys.argv[3]) if len(sys.argv) > 3 else size)
