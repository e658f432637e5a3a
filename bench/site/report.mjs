// Turn the benchmark's hyperfine JSON and GNU time figures into the tables of docs/performance.md.
//   node bench/site/report.mjs BENCH_DIR SIZE...
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [dir, ...sizes] = process.argv.slice(2);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const sec = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + " s";
const mib = (kb) => (kb / 1024 >= 1024 ? (kb / 1048576).toFixed(2) + " GiB" : (kb / 1024).toFixed(0) + " MiB");

console.log("| pages | tool | HTML files | runs | median wall | CPU (user + sys) | peak RSS | wall vs bilim | wall per 1,000 pages |");
console.log("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
for (const n of sizes) {
  const h = JSON.parse(readFileSync(join(dir, `hyperfine-${n}.json`), "utf8")).results;
  const mem = Object.fromEntries(readFileSync(join(dir, `memory-${n}.tsv`), "utf8").trim().split("\n").map((l) => l.split("\t")));
  const [, bpages, hpages] = readFileSync(join(dir, `pages-${n}.tsv`), "utf8").trim().split("\t");
  const bilim = median(h.find((r) => r.command === "bilim").times);
  for (const r of h) {
    const wall = median(r.times);
    const cpu = r.user + r.system;
    const files = r.command === "bilim" ? bpages : hpages;
    const ratio = r.command === "bilim" ? "1" : (wall / bilim).toFixed(2) + "×";
    console.log(`| ${Number(n).toLocaleString("en")} | ${r.command} | ${Number(files).toLocaleString("en")} | ${r.times.length} | ${sec(wall)} | ${sec(cpu)} | ${mib(Number(mem[r.command]))} | ${ratio} | ${sec((wall / n) * 1000)} |`);
  }
  const rb = join(dir, `rebuild-${n}.json`);
  if (existsSync(rb)) {
    const r = JSON.parse(readFileSync(rb, "utf8")).results[0];
    console.log(`| ${Number(n).toLocaleString("en")} | bilim, one article edited (warm cache) | | ${r.times.length} | ${sec(median(r.times))} | ${sec(r.user + r.system)} | | | |`);
  }
}
