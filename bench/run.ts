// `npm run bench [-- NAME...]`: runs every benchmark (or the named ones), prints each one's
// markdown, and writes it into docs/performance.md between its markers, so running one
// benchmark updates its own section and leaves the others' figures alone.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { machineLine } from "./lib/machine.js";
import { REPO_ROOT } from "./lib/services.js";

export interface Benchmark {
  name: string;
  title: string;
  /** Starts what it needs, measures, stops everything; returns the section's markdown. */
  run(): Promise<string>;
}

const DOC = path.join(REPO_ROOT, "docs/performance.md");
const INTRO = path.join(REPO_ROOT, "bench/intro.md");

async function benchmarks(): Promise<Benchmark[]> {
  const [
    { intakeBenchmark },
    { previewBenchmark },
    { peersBenchmark },
    { scaleBenchmark },
    { renderBenchmark },
    { redeployBenchmark },
  ] = await Promise.all([
    import("./intake.js"),
    import("./preview.js"),
    import("./peers.js"),
    import("./scale.js"),
    import("./render.js"),
    import("./redeploy.js"),
  ]);
  return [intakeBenchmark, previewBenchmark, peersBenchmark, scaleBenchmark, renderBenchmark, redeployBenchmark];
}

const begin = (name: string) => `<!-- bench:${name} -->`;
const end = (name: string) => `<!-- /bench:${name} -->`;

function section(bench: Benchmark, markdown: string, took: number): string {
  const when = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return [
    begin(bench.name),
    `## ${bench.title}`,
    "",
    `Measured ${when} on ${machineLine()}; \`npm run bench -- ${bench.name}\` took ${(took / 1000).toFixed(0)} s.`,
    "",
    markdown.trim(),
    end(bench.name),
  ].join("\n");
}

/** The document: the static intro, then one section per benchmark, in the registry's order. */
async function writeDoc(all: Benchmark[], fresh: Map<string, string>): Promise<void> {
  const old = existsSync(DOC) ? await readFile(DOC, "utf8") : "";
  const intro = (await readFile(INTRO, "utf8")).trim();
  const parts = all.map((bench) => {
    if (fresh.has(bench.name)) return fresh.get(bench.name) as string;
    const start = old.indexOf(begin(bench.name));
    const stop = old.indexOf(end(bench.name));
    if (start >= 0 && stop > start) return old.slice(start, stop + end(bench.name).length);
    return [
      begin(bench.name),
      `## ${bench.title}`,
      "",
      `Not measured yet: \`npm run bench -- ${bench.name}\`.`,
      end(bench.name),
    ].join("\n");
  });
  await writeFile(DOC, `${[intro, ...parts].join("\n\n")}\n`);
}

async function main(argv: string[]): Promise<number> {
  const all = await benchmarks();
  const unknown = argv.filter((name) => !all.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(", ")}; choose from: ${all.map((b) => b.name).join(", ")}`);
    return 2;
  }
  const chosen = argv.length === 0 ? all : all.filter((b) => argv.includes(b.name));
  const fresh = new Map<string, string>();
  let failures = 0;
  for (const bench of chosen) {
    const started = Date.now();
    console.log(`\n## ${bench.title}\n`);
    try {
      const markdown = await bench.run();
      console.log(markdown);
      fresh.set(bench.name, section(bench, markdown, Date.now() - started));
    } catch (error) {
      failures++;
      console.error(`benchmark ${bench.name} failed:`, error);
      fresh.set(
        bench.name,
        section(bench, `**Failed:** ${error instanceof Error ? error.message : String(error)}`, Date.now() - started),
      );
    }
  }
  await writeDoc(all, fresh);
  console.log(`\nwrote ${path.relative(process.cwd(), DOC)}`);
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
