"""Train a nearest-centroid classifier: the mean of each feature per species."""

import csv
import json
import os
from collections import defaultdict

with open("split/train.csv", newline="") as f:
    rows = list(csv.DictReader(f))
features = [k for k in rows[0] if k != "species"]
sums: dict = defaultdict(lambda: [0.0] * len(features))
counts: dict = defaultdict(int)
for r in rows:
    counts[r["species"]] += 1
    for i, k in enumerate(features):
        sums[r["species"]][i] += float(r[k])
centroids = {s: [v / counts[s] for v in sums[s]] for s in sums}
os.makedirs("model", exist_ok=True)
with open("model/centroids.json", "w") as f:
    json.dump({"features": features, "centroids": centroids}, f, indent=1, sort_keys=True)
print(f"trained on {len(rows)} rows, {len(centroids)} classes")
