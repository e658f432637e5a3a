#!/usr/bin/env bash
# Full builds of the same synthetic corpus with bilim, Hugo and Hugo + Pagefind, side by side.
#
#   bench/site/run.sh [PAGES...]          default: 1000 10000 100000
#
# For each size: generate the corpus (bench/site/corpus.mjs, seed 42: the bilim project and the
# Hugo site hold the same Markdown), then time every tool with hyperfine (median wall time, user
# and system CPU time) and peak memory with GNU time (the largest maximum resident set size of
# any run and any process of the tool).
# bilim builds from a cold cache (.bilim-cache removed before each run) and includes the search
# index; "hugo + pagefind" is what a Hugo user needs for the same: pages and a search index.
# Results: $BENCH_DIR/results.md (copied into docs/performance.md by hand) and one JSON per size.
# Needs: hugo, hyperfine and GNU time (Debian packages), node; installs Pagefind from npm here.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_DIR:-/tmp/bilim-bench}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000 100000)

for tool in hugo hyperfine /usr/bin/time node; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install hugo hyperfine time nodejs" >&2; exit 1; }
done
(cd "$REPO" && cargo build --release --locked -q)
BILIM="$REPO/target/release/bilim"
[ -x "$HERE/node_modules/.bin/pagefind" ] || (cd "$HERE" && npm ci --no-audit --no-fund --silent)
PAGEFIND="$HERE/node_modules/.bin/pagefind"
mkdir -p "$WORK/out"

runs_for() { if [ "$1" -ge 100000 ]; then echo 1; elif [ "$1" -ge 10000 ]; then echo 3; else echo 5; fi; }

for n in "${SIZES[@]}"; do
  c="$WORK/corpus-$n"
  echo "== $n pages: generating $c"
  node "$HERE/corpus.mjs" "$c" "$n" > "$WORK/corpus-$n.json"
  # Every command runs under GNU time, which appends its peak RSS (KiB) to a file per tool.
  m="$WORK/memory-$n"; rm -f "$m".*
  t() { echo "/usr/bin/time -f %M -a -o $m.$1"; }
  b="$(t bilim) $BILIM build --root $c/bilim --output $WORK/out/bilim-$n"
  h="$(t hugo) hugo --quiet -s $c/hugo -d $WORK/out/hugo-$n"
  p="$(t pagefind) hugo --quiet -s $c/hugo -d $WORK/out/hugo-$n && $(t pagefind) $PAGEFIND --site $WORK/out/hugo-$n --silent"
  runs="${RUNS:-$(runs_for "$n")}"
  # Clean builds: no previous output, no cache (hyperfine's --prepare runs before every run).
  hyperfine --style basic --runs "$runs" --export-json "$WORK/hyperfine-$n.json" \
    --prepare "rm -rf $c/bilim/.bilim-cache $WORK/out/bilim-$n $WORK/out/hugo-$n; sync" \
    -n bilim "$b" -n hugo "$h" -n "hugo + pagefind" "$p"
  : > "$WORK/memory-$n.tsv"
  for tool in bilim hugo pagefind; do
    name="$tool"; [ "$tool" = pagefind ] && name="hugo + pagefind"
    printf '%s\t%s\n' "$name" "$(sort -n "$m.$tool" | tail -1)" >> "$WORK/memory-$n.tsv"
  done
  # Incremental: one article edited, bilim rebuilds with a warm cache (a `build`, not `serve`).
  a="$c/bilim/content/articles/synthetic-000001/index.md"
  hyperfine --style basic --runs 3 --export-json "$WORK/rebuild-$n.json" \
    --prepare "sed -i 's/^title = \"/title = \"x/' $a" -n "bilim rebuild" \
    "$BILIM build --root $c/bilim --output $WORK/out/bilim-$n"
  pages=$(find "$WORK/out/bilim-$n" -name '*.html' | wc -l)
  hpages=$(find "$WORK/out/hugo-$n" -name '*.html' | wc -l)
  printf '%s\t%s\t%s\n' "$n" "$pages" "$hpages" > "$WORK/pages-$n.tsv"
done
node "$HERE/report.mjs" "$WORK" "${SIZES[@]}" | tee "$WORK/results.md"
