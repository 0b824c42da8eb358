import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../../src/config/config.js";
import { KNOWN_KEYS } from "../../../src/spec/schema.js";
import { settings } from "../../../scripts/docs/configuration.js";
import { generatedDocs } from "../../../scripts/docs/pages.js";
import { replaceSection } from "../../../scripts/docs/markdown.js";

const root = path.resolve(import.meta.dirname, "../../..");
const read = (file: string) => readFile(path.join(root, file), "utf8");

describe("the documentation generated from the code", () => {
  it("is up to date in docs/", async () => {
    for (const [file, expected] of await generatedDocs(root)) {
      const committed = await read(file);
      expect(committed === expected, `${file} differs from the code: run npm run docs and commit the result`).toBe(
        true,
      );
    }
  });

  it("has a description for every configuration setting", () => {
    const undocumented = Object.entries(envSchema.shape)
      .filter(([, schema]) => !schema.description?.trim())
      .map(([name]) => name);
    expect(undocumented, 'add .describe("...") to these fields of envSchema (src/config/config.ts)').toEqual([]);
  });

  it("shows every setting of the schema, with its default, in docs/configuration.md", async () => {
    const page = await read("docs/configuration.md");
    const shown = settings();
    expect(shown.map((s) => s.name)).toEqual(Object.keys(envSchema.shape));
    for (const setting of shown) expect(page, setting.name).toContain(`### ${setting.name}\n`);
    expect(shown.find((s) => s.name === "PRBOX_DEPLOY_TIMEOUT")).toMatchObject({
      default: "5m",
      requirement: "optional",
    });
    expect(shown.find((s) => s.name === "PRBOX_REDIS_URL")).toMatchObject({ requirement: "required in production" });
  });

  it("explains every key of environment.toml in docs/environment-toml.md", async () => {
    const page = await read("docs/environment-toml.md");
    const tables = { spec: "## Top-level keys", box: "## [[boxes]]", application: "## [[boxes.applications]]" };
    for (const [table, heading] of Object.entries(tables)) {
      const start = page.indexOf(heading);
      expect(start, heading).toBeGreaterThanOrEqual(0);
      const section = page.slice(start, page.indexOf("\n## ", start + 1));
      for (const key of KNOWN_KEYS[table as keyof typeof KNOWN_KEYS])
        expect(section, `${table} key ${key}`).toMatch(new RegExp(`^\\| \`${key}\` \\|`, "m"));
    }
  });

  it("has the README link every page of docs/", async () => {
    const readme = await read("README.md");
    const pages = (await readdir(path.join(root, "docs"))).filter((name) => name.endsWith(".md"));
    expect(pages.length).toBeGreaterThan(0);
    const unlinked = pages.filter((name) => !readme.includes(`](docs/${name})`));
    expect(unlinked, "link these pages from the README's Documentation table").toEqual([]);
  });

  it("refuses to lose a generated section whose markers went missing", () => {
    expect(() => replaceSection("# a page without markers\n", "metrics", "x", "docs/x.md")).toThrow(
      /docs\/x.md: the markers <!-- generated:metrics -->/,
    );
  });
});
