#!/usr/bin/env bash
# The main job, end to end: set up .venv, train the default model (compact), convert it to float32 and int8
# TFLite models verified on the MNIST test set, then read the TestSet photos with the edge runner and the
# new int8 model. MNIST comes from tensorflow-datasets, or from the four IDX files in $DIGITS_MNIST_DIR.
# Usage: scripts/main.sh [digits-train options...]     (e.g. --epochs 5 for a shorter run)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh train,edge,dev
run="runs/$(date -u +%Y%m%d-%H%M%S)-main"

echo; echo "== 1/3 train ($run)"
# The packaged model's seed and thread count (edge/models/README.md): the same machine remakes it bit for bit.
.venv/bin/digits-train --out "$run" --quiet --seed 2 --threads 1 "$@"

echo; echo "== 2/3 convert to float32 and int8 TFLite, verify on MNIST"
.venv/bin/digits-convert "$run" --int8 --max-drop 0.1

echo; echo "== 3/3 read the TestSet with the new int8 model (tflite runtime only, no tensorflow)"
for person in Den Luis Rivers; do
    echo "-- TestSet/$person"
    .venv/bin/digits-edge --model "$run/model_int8.tflite" --dir "TestSet/$person" --labels TestSet/labels.csv
done
echo "-- TestSet/ids (whole IDs, one photo each)"
.venv/bin/digits-edge --model "$run/model_int8.tflite" --dir TestSet/ids --multi --labels TestSet/ids/labels.csv
echo; echo "main job done: $run"
