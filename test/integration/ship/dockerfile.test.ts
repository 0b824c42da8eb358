import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { helmEnvironment } from "../../../src/render/helm-binary.js";
import { cli } from "../../support/cli.js";
import {
  commandForm,
  dockerignore,
  parseCopy,
  parseDockerfile,
  parseEnv,
  simpleCommands,
  stages,
  type Stage,
} from "./dockerfile.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");
const read = (file: string): string => readFileSync(path.join(root, file), "utf8");
const dockerfileText = read("Dockerfile");
const all = stages(parseDockerfile(dockerfileText));
const final = all.at(-1) as Stage;
const ignored = dockerignore(read(".dockerignore"));
const pkg = JSON.parse(read("package.json")) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};

/**
 * What node:<version>-bookworm-slim provides on PATH: Node's own binaries (the official image
 * installs node, npm, npx and corepack into /usr/local/bin) and the commands of Debian bookworm's
 * essential packages (coreutils, bash, dash, tar, gzip, findutils, grep, sed). Nothing else: no
 * unzip, python3, curl or git in the slim variant.
 */
const BASE_TOOLS = new Set([
  "node",
  "npm",
  "npx",
  "corepack",
  "sh",
  "bash",
  "cat",
  "cp",
  "mv",
  "rm",
  "mkdir",
  "chmod",
  "chown",
  "ln",
  "install",
  "mktemp",
  "tar",
  "gzip",
  "dirname",
  "test",
  "true",
  "echo",
  "env",
  "find",
  "grep",
  "sed",
]);
const NPM_SUBCOMMANDS = new Set(["ci", "run", "cache"]);

function lockedNodeVersion(): string {
  const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, { version?: string }> };
  return lock.packages["node_modules/node"]?.version ?? "";
}

function workdirOf(stage: Stage, upTo = stage.instructions.length): string {
  let dir = "/";
  for (const i of stage.instructions.slice(0, upTo)) if (i.keyword === "WORKDIR") dir = path.posix.resolve(dir, i.args);
  return dir;
}

function stageEnv(stage: Stage): Record<string, string> {
  return Object.assign(
    {},
    ...stage.instructions.filter((i) => i.keyword === "ENV").map((i) => parseEnv(i.args)),
  ) as Record<string, string>;
}

/** Container paths a stage gets by COPY/ADD (from the context or another stage), each with its origin. */
function copiedPaths(stage: Stage): Map<string, { from: string | null; source: string }> {
  const copied = new Map<string, { from: string | null; source: string }>();
  stage.instructions.forEach((instruction, index) => {
    if (instruction.keyword !== "COPY" && instruction.keyword !== "ADD") return;
    const spec = parseCopy(instruction.args);
    const dest = path.posix.resolve(workdirOf(stage, index), spec.destination);
    for (const source of spec.sources) {
      const target = spec.destination.endsWith("/") ? path.posix.join(dest, path.posix.basename(source)) : dest;
      copied.set(target, { from: spec.flags.from ?? null, source });
    }
  });
  return copied;
}

/** Whether the stage holds a container path: it was copied there, or lies under a copied directory. */
function holds(stage: Stage, containerPath: string): boolean {
  return [...copiedPaths(stage).keys()].some((p) => containerPath === p || containerPath.startsWith(`${p}/`));
}

function shellRuns(stage: Stage): { line: number; commands: ReturnType<typeof simpleCommands> }[] {
  return stage.instructions
    .filter((i) => i.keyword === "RUN")
    .map((i) => {
      const form = commandForm(i.args);
      return {
        line: i.line,
        commands: form.form === "exec" ? [{ assignments: {}, argv: form.argv }] : simpleCommands(form.script),
      };
    });
}

/**
 * What a stage's RUN commands leave behind, from what the tools are known to do: `npm ci` fills
 * <workdir>/node_modules, `npm run build` writes scripts/build.mjs's OUTDIR, scripts/install-helm
 * installs helm-<its HELM_VERSION>/helm under PRBOX_CACHE.
 */
function producedBy(stage: Stage): string[] {
  const produced: string[] = [];
  const workdir = workdirOf(stage);
  const outDir = /^const OUTDIR = "([^"]+)"/m.exec(read("scripts/build.mjs"))?.[1] ?? "";
  const helmVersion = /^HELM_VERSION="([^"]+)"/m.exec(read("scripts/install-helm"))?.[1];
  for (const { commands } of shellRuns(stage)) {
    for (const { assignments, argv } of commands) {
      if (argv[0] === "npm" && argv[1] === "ci") produced.push(path.posix.join(workdir, "node_modules"));
      if (
        argv[0] === "npm" &&
        argv[1] === "run" &&
        argv[2] === "build" &&
        pkg.scripts.build === "node scripts/build.mjs"
      )
        produced.push(path.posix.join(workdir, outDir));
      if (argv[0] === "scripts/install-helm" && assignments.PRBOX_CACHE)
        produced.push(path.posix.join(assignments.PRBOX_CACHE, `helm-${helmVersion}`, "helm"));
    }
  }
  return produced;
}

function filesUnder(relative: string): string[] {
  const full = path.join(root, relative);
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

async function cliVerbs(): Promise<string[]> {
  const help = await cli(["--help"], { cwd: root });
  const section = help.stdout.split(/^Commands:$/m)[1] ?? "";
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1] ?? "").filter((verb) => verb !== "help");
}

/** One command of a RUN: a base image tool (npm only with subcommands and scripts that exist) or a project script copied in. */
function checkTool(stage: Stage, line: number, argv: string[]): string {
  const [tool = "", sub = "", name = ""] = argv;
  if (tool === "npm") {
    expect(NPM_SUBCOMMANDS.has(sub), `line ${line}: npm ${sub} is not used in this image`).toBe(true);
    if (sub === "run") expect(pkg.scripts[name], `line ${line}: package.json has no script ${name}`).toBeDefined();
    if (sub === "ci")
      expect(
        holds(stage, path.posix.join(workdirOf(stage), "package-lock.json")),
        `line ${line}: npm ci without package-lock.json`,
      ).toBe(true);
  }
  if (BASE_TOOLS.has(tool)) return tool;
  expect(tool, `line ${line}: ${tool} is neither a base image tool nor a project file`).toMatch(/^scripts\//);
  expect(
    holds(stage, path.posix.resolve(workdirOf(stage), tool)),
    `line ${line}: ${tool} was not copied into the stage`,
  ).toBe(true);
  accessSync(path.join(root, tool), constants.X_OK);
  return tool;
}

describe("the Dockerfile", () => {
  let hadolint = "";
  beforeAll(async () => {
    const { stdout } = await run(path.join(root, "scripts/install-hadolint"), [], { timeout: 240_000 });
    hadolint = stdout.trim().split("\n").at(-1) ?? "";
  });

  it("has no hadolint findings", async () => {
    const result = await run(hadolint, ["--no-color", path.join(root, "Dockerfile")]).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? -1,
        output: `${error.stdout ?? ""}${error.stderr ?? ""}`,
      }),
    );
    expect(result.output.trim(), `hadolint reported:\n${result.output}`).toBe("");
    expect(result.code).toBe(0);
  });

  it("builds every stage on the official Node image, pinned to the Node version the tests run on", () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) expect(stage.image).toBe(`node:${lockedNodeVersion()}-bookworm-slim`);
  });

  it("copies from the build context only files that exist and that .dockerignore lets in", () => {
    const sources = all.flatMap((stage) =>
      [...copiedPaths(stage).values()].filter((c) => c.from === null).map((c) => c.source),
    );
    expect(sources).toContain("src");
    for (const source of sources) {
      expect(source, `${source} leaves the build context`).not.toMatch(/(^|\/)\.\.(\/|$)/);
      expect(existsSync(path.join(root, source)), `COPY source ${source} does not exist`).toBe(true);
      for (const file of filesUnder(source))
        expect(ignored(file), `${file} is copied but .dockerignore excludes it`).toBe(false);
    }
  });

  it("keeps secrets and local build output out of the build context", () => {
    for (const file of [
      ".env",
      "node_modules/probot/package.json",
      "dist/prbox.js",
      "test/unit/config/config.test.ts",
      ".git/HEAD",
    ]) {
      expect(ignored(file), file).toBe(true);
    }
  });

  it("copies from earlier stages only what those stages produce", () => {
    for (const stage of all) {
      for (const [target, copy] of copiedPaths(stage)) {
        if (copy.from === null) continue;
        const from = all.find((s) => s.name === copy.from);
        expect(from, `COPY --from=${copy.from} names no stage`).toBeDefined();
        expect((from as Stage).index, `stage ${copy.from} must come before the stage copying from it`).toBeLessThan(
          stage.index,
        );
        expect(
          producedBy(from as Stage),
          `${copy.source} (copied to ${target}) is not produced by stage ${copy.from}`,
        ).toContain(copy.source);
      }
    }
  });

  it("runs only tools of the base image, npm scripts that exist and project scripts it copied in", () => {
    const used: string[] = [];
    for (const stage of all) {
      for (const { line, commands } of shellRuns(stage)) {
        for (const { argv } of commands) used.push(checkTool(stage, line, argv));
      }
    }
    expect(used).toEqual(expect.arrayContaining(["npm", "scripts/install-helm"]));
  });

  it("bundles with a tool the build stage installs: the build script's esbuild comes from the esbuild devDependency", () => {
    const build = all.find((s) =>
      shellRuns(s).some((r) => r.commands.some((c) => c.argv.join(" ") === "npm run build")),
    ) as Stage;
    const install = shellRuns(build)
      .flatMap((r) => r.commands)
      .find((c) => c.argv[1] === "ci");
    expect(install?.argv).not.toContain("--omit=dev");
    const [tool = "", script = ""] = pkg.scripts.build?.split(" ") ?? [];
    expect(tool).toBe("node");
    expect(
      holds(build, path.posix.resolve(workdirOf(build), script)),
      `${script} was not copied into the build stage`,
    ).toBe(true);
    expect(holds(build, path.posix.resolve(workdirOf(build), "src/main/bin.ts"))).toBe(true);
    expect(read(script)).toMatch(/^import \{ build \} from "esbuild";$/m);
    expect(pkg.devDependencies.esbuild).toBeDefined();
    expect(existsSync(path.join(root, "node_modules/esbuild/package.json"))).toBe(true);
  });

  it("installs only production dependencies in the runtime image", () => {
    const fromDeps = [...copiedPaths(final).values()].find((c) => c.source.endsWith("/node_modules"));
    const deps = all.find((s) => s.name === fromDeps?.from) as Stage;
    const install = shellRuns(deps)
      .flatMap((r) => r.commands)
      .find((c) => c.argv[1] === "ci");
    expect(install?.argv).toEqual(expect.arrayContaining(["--omit=dev", "--ignore-scripts"]));
  });

  it("starts node on the CLI entry point in exec form, with a prbox verb as the default command", async () => {
    const entrypoint = commandForm(final.instructions.find((i) => i.keyword === "ENTRYPOINT")?.args ?? "");
    const cmd = commandForm(final.instructions.find((i) => i.keyword === "CMD")?.args ?? "");
    expect(entrypoint).toEqual({ form: "exec", argv: ["node", expect.stringMatching(/\/bin\/prbox\.js$/)] });
    expect(cmd.form).toBe("exec");
    const script = entrypoint.form === "exec" ? (entrypoint.argv[1] ?? "") : "";
    expect(holds(final, script), `${script} is not in the runtime image`).toBe(true);
    // bin/prbox.js imports ../dist/prbox.js: the bundled entry must be there too.
    expect(read("bin/prbox.js")).toContain("../dist/prbox.js");
    expect(holds(final, path.posix.resolve(path.posix.dirname(script), "../dist/prbox.js"))).toBe(true);
    expect(existsSync(path.join(root, "src/main/bin.ts"))).toBe(true);
    const verbs = await cliVerbs();
    expect(verbs).toEqual(expect.arrayContaining(["start", "server", "worker", "render", "run"]));
    expect(verbs).toContain(cmd.form === "exec" ? cmd.argv[0] : "");
  });

  it("runs as a numeric non-root user, listens on all interfaces and writes only under /tmp", () => {
    const user = final.instructions.filter((i) => i.keyword === "USER").at(-1)?.args ?? "";
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const env = stageEnv(final);
    expect(env.HOST).toBe("0.0.0.0");
    for (const key of [
      "HOME",
      "TMPDIR",
      "XDG_CACHE_HOME",
      "XDG_CONFIG_HOME",
      "XDG_DATA_HOME",
      "HELM_CACHE_HOME",
      "HELM_CONFIG_HOME",
      "HELM_DATA_HOME",
    ]) {
      expect(env[key], key).toMatch(/^\/tmp(\/|$)/);
    }
    expect(holds(final, env.HELM_BIN ?? ""), `HELM_BIN ${env.HELM_BIN} is not in the runtime image`).toBe(true);
    // helm itself runs with a scratch HOME and caches inside the render's temporary directory.
    const helmEnv = helmEnvironment("/tmp/prbox-render-x");
    for (const key of ["HOME", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"])
      expect(helmEnv[key], key).toMatch(/^\/tmp\/prbox-render-x/);
  });
});

describe("the Dockerfile parser", () => {
  it("joins continuation lines, skips comments inside them and keeps the starting line", () => {
    const parsed = parseDockerfile('FROM a AS b\n# c\nRUN x \\\n  # inside\n  && y\nCMD ["start"]\n');
    expect(parsed).toEqual([
      { keyword: "FROM", args: "a AS b", line: 1 },
      { keyword: "RUN", args: "x   && y", line: 3 },
      { keyword: "CMD", args: '["start"]', line: 6 },
    ]);
  });

  it("tells exec form from shell form", () => {
    expect(commandForm('["node", "a.js"]')).toEqual({ form: "exec", argv: ["node", "a.js"] });
    expect(commandForm("node a.js")).toEqual({ form: "shell", script: "node a.js" });
    expect(commandForm("[not json")).toEqual({ form: "shell", script: "[not json" });
  });

  it("splits shell scripts into commands with their assignments, respecting quotes", () => {
    expect(simpleCommands("A=1 scripts/x --y && npm ci; echo 'a && b' | cat")).toEqual([
      { assignments: { A: "1" }, argv: ["scripts/x", "--y"] },
      { assignments: {}, argv: ["npm", "ci"] },
      { assignments: {}, argv: ["echo", "a && b"] },
      { assignments: {}, argv: ["cat"] },
    ]);
  });

  it("reads COPY flags, sources and destination", () => {
    expect(parseCopy("--from=build --chown=1:1 /src/dist dist")).toEqual({
      flags: { from: "build", chown: "1:1" },
      sources: ["/src/dist"],
      destination: "dist",
    });
    expect(parseCopy('["a b", "c", "d/"]')).toEqual({ flags: {}, sources: ["a b", "c"], destination: "d/" });
  });

  it("matches .dockerignore like Docker: the last matching pattern wins, parents count", () => {
    const ignore = dockerignore("*\n!src/\nsrc/**/*.test.ts\n!keep.md\n");
    expect(ignore("README.md")).toBe(true);
    expect(ignore("src/a/b.ts")).toBe(false);
    expect(ignore("src/a/b.test.ts")).toBe(true);
    expect(ignore("keep.md")).toBe(false);
  });
});
