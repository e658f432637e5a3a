#!/usr/bin/env bash
# Edit-to-visible latency of `bilim serve`: start serve on a generated corpus, append a
# paragraph to one article, and time until the served page contains it (polling every 20 ms).
#
#   bench/site/serve-latency.sh [PAGES] [EDITS]        default: 10000 5
#
# Reuses $BENCH_DIR/corpus-PAGES from run.sh (generated if missing). Prints one line per edit
# and the median; the serve log with per-stage timings (BILIM_TIMINGS) is $BENCH_DIR/serve-PAGES.log.
# BILIM=/path/to/bilim times another binary (e.g. an older commit's) instead of building this one.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_DIR:-/tmp/bilim-bench}"
N="${1:-10000}"
EDITS="${2:-5}"
PORT="${PORT:-18111}"
c="$WORK/corpus-$N"
if [ -z "${BILIM:-}" ]; then
  (cd "$REPO" && cargo build --release --locked -q)
  BILIM="$REPO/target/release/bilim"
fi
mkdir -p "$WORK"
[ -d "$c/bilim" ] || node "$HERE/corpus.mjs" "$c" "$N" > "$WORK/corpus-$N.json"
article="$c/bilim/content/articles/synthetic-000001/index.md"
cp "$article" "$WORK/article.orig"
log="$WORK/serve-$N.log"
BILIM_TIMINGS=1 "$BILIM" serve --root "$c/bilim" --port "$PORT" > "$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; cp "$WORK/article.orig" "$article"; }
trap cleanup EXIT
url="http://127.0.0.1:$PORT/articles/synthetic-000001/"
until curl -sf -o /dev/null "$url"; do sleep 0.2; kill -0 "$pid" || { cat "$log"; exit 1; }; done
sleep 2 # let the watcher settle after the first build
now() { date +%s%N; }
times=()
for i in $(seq 1 "$EDITS"); do
  marker="latency-marker-$i-$RANDOM"
  start=$(now)
  printf '\nAn added paragraph: %s.\n' "$marker" >> "$article"
  until curl -sf "$url" | grep -q "$marker"; do sleep 0.02; done
  ms=$(( ($(now) - start) / 1000000 ))
  times+=("$ms")
  echo "edit $i: ${ms} ms"
  sleep 1
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median: " a[int((NR+1)/2)] " ms over " NR " edits"}'
