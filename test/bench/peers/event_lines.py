"""The PredictionEvents of a JSON-lines file (gzip when its name ends in .gz), in order, as both peer scripts
read them (blank lines skipped)."""

import gzip
import json


def read_events(path):
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
