#!/usr/bin/env bash
# Regenerate the example score files in scores/ from the synthetic 'small' preset.
#
#   bash trainers/make_example_scores.sh            # generate, train, check, copy into scores/
#   bash trainers/make_example_scores.sh --no-copy  # leave scores/ alone (outputs in runs/example/)
#
# Steps: generate the data set (seed 0, Farneback flow so that the result does not depend on
# which OpenCV build is installed), train the RGB and the flow stream side by side (one torch
# thread each, 3 segments, 12 epochs, scores of epochs 6 and 12), check the scores with numpy,
# then copy the four test score files into scores/. Needs the 'train' extra (torch, OpenCV).
# Deterministic: the same files come out on every run on the same software versions.
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=${WORK:-runs/example}
EPOCHS=${EPOCHS:-12}
MID=$((EPOCHS / 2))
COPY=1
for arg in "$@"; do
  case "$arg" in
    --no-copy) COPY=0 ;;
    *) echo "usage: $0 [--no-copy]" >&2; exit 2 ;;
  esac
done

case "$WORK" in
  runs/*) rm -rf -- "$WORK" ;;
  *) echo "WORK must be a folder under runs/ (it is deleted first), got '$WORK'" >&2; exit 2 ;;
esac
mkdir -p "$WORK"

t0=$SECONDS
python -m trainers.synthetic --out "$WORK/data" --preset small --seed 0 --layout hmdb51 \
  --flow-method farneback --workers 2 --no-progress
t_gen=$((SECONDS - t0))

t1=$SECONDS
pids=()
for stream in rgb flow; do
  python -m trainers.train --stream "$stream" --data "$WORK/data" --split 1 --segments 3 \
    --epochs "$EPOCHS" --eval-every "$MID" --seed 0 --threads 1 --device cpu --no-progress \
    --out "$WORK/$stream" >"$WORK/$stream.out" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
t_train=$((SECONDS - t1))
tail -n 3 "$WORK/rgb.out" "$WORK/flow.out"
if [ "$status" -ne 0 ]; then
  echo "training failed (see $WORK/rgb.out and $WORK/flow.out)" >&2
  exit "$status"
fi

files=()
for stream in rgb flow; do
  for e in "$MID" "$EPOCHS"; do
    files+=("$WORK/$stream/scores/$(printf 'synthetic-small_split1_%s_e%03d.npz' "$stream" "$e")")
  done
done
python -m trainers.quickcheck "${files[@]}"

if [ "$COPY" -eq 1 ]; then
  mkdir -p scores
  cp -- "${files[@]}" scores/
  echo "copied ${#files[@]} files into scores/"
fi
echo "timings: generation ${t_gen} s, training (both streams in parallel) ${t_train} s, total $((SECONDS - t0)) s"
