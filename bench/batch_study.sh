#!/usr/bin/env bash
# The batch-size study (docs/convergence.md, "Batch size"): for one task, the fast preset's model at batch 1, 4,
# 16 and 32 with centred RMSProp (lr scaled by √B and by B from lr0) and with Adam (lr0·√B), 3 seeds each, the
# same budget of sequences for every batch, on the fastest backend (`--backend auto`: the WebAssembly engine,
# one thread at batch 1, every core above). Each configuration is one `deno task study` into runs/batch/TASK/.
#
#   bash bench/batch_study.sh copy 40000 1e-3 0.1                # task, sequences, lr0, threshold
#   SKIP=lin bash bench/batch_study.sh associative-recall 100000 1e-3 1 -- --controller-type feedforward \
#     --controller 100 --read-heads 1 --write-heads 1
#
# SKIP=lin leaves out RMSProp at lr0·B (which failed on copy at every batch above 1).
set -euo pipefail
cd "$(dirname "$0")/.."
task=$1 budget=$2 lr0=$3 threshold=$4
shift 4
[ "${1:-}" = "--" ] && shift
extra=("$@")
out=runs/batch/$task
lr() { awk -v a="$lr0" -v b="$1" 'BEGIN { printf "%.3g", a * b }'; }
run() { # name batch optimizer lr
  case "$1" in *"${SKIP:-none}"*) return ;; esac
  local steps=$(($budget / $2)) every=$(((500 + $2 - 1) / $2))
  deno task study --name "$1" --seeds 1,2,3 --jobs 1 --threshold "$threshold" --out "$out/$1" -- \
    --task "$task" --preset fast --backend auto "${extra[@]}" --batch "$2" --optimizer "$3" --lr "$4" \
    --steps "$steps" --report-every "$every"
}
run rmsprop-b1 1 rmsprop "$lr0"
run adam-b1 1 adam "$lr0"
for b in 4 16 32; do
  sqrt=$(awk -v b=$b 'BEGIN { printf "%.6f", sqrt(b) }')
  run "rmsprop-sqrt-b$b" $b rmsprop "$(lr "$sqrt")"
  run "rmsprop-lin-b$b" $b rmsprop "$(lr $b)"
  run "adam-sqrt-b$b" $b adam "$(lr "$sqrt")"
done
names=$(ls -d "$out"/*/ | sed 's#/$##' | paste -sd, -)
deno task study --compare "$names"
