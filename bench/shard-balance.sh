#!/usr/bin/env bash
# The wall time of each of N shards of a suite, run one after another with the
# suite's workers (as N machines of this kind would run them), and the slowest
# shard against the mean. With OLD=DIR (another kzbench checkout, built), the
# same shards of that kzbench run right after, side by side: c8ed9f5 split by
# cell count (a hash of cell_id), this one by estimated cost.
#   bench/shard-balance.sh [SUITE...]     default: bench/suites/shard-balance-*.yaml
# Measure on a quiet machine (nothing else heavy running).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${SHARDS:-4}
out=$(mktemp -d)
suites=("$@"); [ ${#suites[@]} -gt 0 ] || suites=("$here"/bench/suites/shard-balance-*.yaml)
variants=("this:$here"); [ -n "${OLD:-}" ] && variants+=("old:$OLD")
for suite in "${suites[@]}"; do
  for v in "${variants[@]}"; do
    name=${v%%:*}; dir=${v#*:}
    times=()
    for i in $(seq 1 "$n"); do
      s=$(date +%s.%N)
      node "$dir/bin/kzbench.js" run "$suite" --shard "$i/$n" --out "$out/$name-$i" > "$out/$name-$i.log" 2>&1
      e=$(date +%s.%N)
      t=$(python3 -c "print(f'{$e-$s:.1f}')"); times+=("$t")
      echo "$(basename "$suite") $name shard $i/$n: $t s, $(($(wc -l < "$out/$name-$i/results.csv") - 1)) cells"
    done
    python3 -c "import sys; t=[float(x) for x in sys.argv[2:]]; m=sum(t)/len(t); print(f'{sys.argv[1]}: slowest shard {max(t):.1f} s = {max(t)/m:.2f} x the mean {m:.1f} s')" "$(basename "$suite") $name" "${times[@]}"
    rm -rf "$out"/"$name"-*
  done
done
