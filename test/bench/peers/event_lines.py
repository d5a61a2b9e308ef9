"""The PredictionEvents of a JSON-lines file, in order, as both peer scripts read them (blank lines skipped)."""

import json


def read_events(path):
    with open(path, "rb") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
