#!/usr/bin/env bash
# Trains the default model that classify embeds, from the shared labelled
# captures, deterministically (same data and seed, same trees), and writes
# the training report next to it.
#
#   scripts/train-default.sh [DATASETS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/datasets}
if [ ! -f "$data/MANIFEST.tsv" ]; then
  echo "train-default: $data/MANIFEST.tsv not found; pass the labelled datasets folder" >&2
  exit 1
fi
out=model/embedded
mkdir -p "$out/report"
go run ./cmd/train --manifest "$data/MANIFEST.tsv" --seed 1 \
  -o "$out/default.json" --report "$out/report" | tee "$out/report/summary.txt"
