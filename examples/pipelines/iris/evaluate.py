"""Evaluate the model on the test set: accuracy, written as metrics/metrics.json."""

import csv
import json
import math
import os

with open("model/centroids.json") as f:
    model = json.load(f)
with open("split/test.csv", newline="") as f:
    rows = list(csv.DictReader(f))


def predict(row: dict) -> str:
    x = [float(row[k]) for k in model["features"]]
    return min(model["centroids"], key=lambda s: math.dist(x, model["centroids"][s]))


correct = sum(predict(r) == r["species"] for r in rows)
os.makedirs("metrics", exist_ok=True)
with open("metrics/metrics.json", "w") as f:
    json.dump({"accuracy": correct / len(rows), "test_rows": len(rows)}, f, indent=1)
print(f"accuracy {correct / len(rows):.3f} on {len(rows)} rows")
