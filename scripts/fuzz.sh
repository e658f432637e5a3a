#!/usr/bin/env bash
# Fuzz bilim's parsers with cargo-fuzz (libFuzzer), each target for a fixed time, one after the
# other, at the lowest CPU priority.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     (default: 600 s, every target)
#
# Targets (fuzz/fuzz_targets/): front_matter_markdown, csv_dialect, formula, bibtex, search_query.
# The corpus grows in fuzz/corpus/<target>/ (not committed) from the seeds in fuzz/seeds/<target>/.
# A crash is written to fuzz/artifacts/<target>/; the script then stops with exit code 1 and
# prints how to reproduce it. Turn every crash into a regression test (a unit test with the input)
# and fix it. Every run is appended to fuzz/runs.tsv (date, target, seconds, executions, crashes),
# which docs/reliability.md sums up.
#
# Only stable Rust is needed: cargo-fuzz's nightly flags are enabled with RUSTC_BOOTSTRAP=1. The
# targets are built without a sanitizer (`-s none`: bilim is safe Rust; panics, overflows (debug
# assertions are on), timeouts and memory blow-ups are what we look for) and run one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-600}"
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=(front_matter_markdown csv_dialect formula bibtex search_query)
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
flags=(-O -a -s none)

cd fuzz
echo "== building the fuzz targets"
nice -n 19 cargo fuzz build "${flags[@]}" --codegen-units 16

[ -f runs.tsv ] || printf 'date\ttarget\tseconds\texecutions\tcrashes\n' > runs.tsv
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  before=$(find "artifacts/$t" -type f | wc -l)
  log=$(mktemp)
  echo "== fuzzing $t for ${secs} s"
  set +e
  nice -n 19 cargo fuzz run "${flags[@]}" --codegen-units 16 "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  grep -av '^ *[0-9]*: \|^ *at ' "$log" | tail -n 25 || true
  execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  after=$(find "artifacts/$t" -type f | wc -l)
  crashes=$((after - before))
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$t" "$secs" "${execs:-0}" "$crashes" >> runs.tsv
  rm -f "$log"
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    echo "!! $t found a problem (exit $rc); new artifacts:"
    ls -t "artifacts/$t" | head -n "$((crashes > 0 ? crashes : 5))" | sed "s|^|   artifacts/$t/|"
    echo "   reproduce: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} $t artifacts/$t/<file>)"
    status=1
  fi
done
exit "$status"
