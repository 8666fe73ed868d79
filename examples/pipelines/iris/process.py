"""Split the iris sample into a training and a test set (a seeded shuffle, so the split is reproducible)."""

import argparse
import csv
import os
import random

parser = argparse.ArgumentParser()
parser.add_argument("--test-fraction", type=float, default=0.2)
parser.add_argument("--seed", type=int, default=7)
args = parser.parse_args()

with open("raw/iris.csv", newline="") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
random.Random(args.seed).shuffle(rows)
cut = int(len(rows) * (1 - args.test_fraction))
os.makedirs("split", exist_ok=True)
for name, part in (("train.csv", rows[:cut]), ("test.csv", rows[cut:])):
    with open(os.path.join("split", name), "w", newline="") as f:
        csv.writer(f).writerows([header, *part])
print(f"train {cut} rows, test {len(rows) - cut} rows")
