// Properties of the environment.toml loader over generated files: any valid environment written
// with smol-toml loads back to the same model; anything else is a SpecError that says where.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { parse, stringify } from "smol-toml";
import { describe, expect, it } from "vitest";
import { describeError, SpecError } from "../../../src/errors.js";
import { loadSpec, type ResolvedSpec } from "../../../src/spec/load.js";
import { dnsLabel } from "../../../src/spec/naming.js";
import { tempRepo } from "../../support/repo.js";

const RUNS = { seed: 6_2026 };

/** `text` written so that interpolation gives it back. */
const escape = (text: string) => text.replaceAll("$", () => "$$");

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
/** A file or directory name as repositories have them: spaces, dots, unicode, quotes. */
const fileName = fc
  .stringMatching(/^[A-Za-z0-9 ._'"éü漢-]{1,20}$/)
  .filter((name) => name !== "." && name !== ".." && name.trim() === name && name !== "Chart.yaml");
const variableName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/);
/** Values a .env file keeps as they are (dotenv trims, unquotes and cuts at #). */
const variableValue = fc.stringMatching(/^[A-Za-z0-9._/-]{1,16}$/);
const freeText = fc.string({ unit: "grapheme", maxLength: 40 });

interface BoxModel {
  type: "helm" | "manifests";
  name: string;
  dir: string;
  /** helm: point at Chart.yaml (k8sbox's habit) rather than the directory. */
  chartFile: boolean;
  values: boolean;
  namespace: string | null;
  /** `tests`: absent (null), true or false. */
  tests: boolean | null;
  applications: { name: string; file: string }[];
}

interface EnvironmentModel {
  id: string;
  name: string;
  namespace: string | null;
  url: string | null;
  variables: Record<string, string>;
  /** Which variable the name ends with, to check substitution from the variables file. */
  nameVariable: string | null;
  extraKeys: Record<string, string>;
  boxes: BoxModel[];
}

const box: fc.Arbitrary<Omit<BoxModel, "name">> = fc.record({
  type: fc.constantFrom("helm", "manifests"),
  dir: fileName,
  chartFile: fc.boolean(),
  values: fc.boolean(),
  namespace: fc.option(label, { nil: null }),
  tests: fc.option(fc.boolean(), { nil: null }),
  applications: fc.uniqueArray(fc.record({ name: label, file: fileName }), { maxLength: 3, selector: (a) => a.file }),
});

const environment: fc.Arbitrary<EnvironmentModel> = fc
  .record({
    id: label,
    name: freeText,
    namespace: fc.option(label, { nil: null }),
    // url is a link shown on the pull request: only well-formed http(s) URLs load (issue #12); "" means none.
    url: fc.option(
      fc.oneof(
        fc.constant(""),
        fc.stringMatching(
          /^https?:\/\/[a-z0-9-]{1,20}(\.[a-z]{2,5}){1,2}(:[1-9][0-9]{0,3})?(\/[A-Za-z0-9._~%-]{0,10}){0,3}$/,
        ),
      ),
      { nil: null },
    ),
    variables: fc.dictionary(variableName, variableValue, { maxKeys: 4 }),
    extraKeys: fc.dictionary(
      fc
        .string({ minLength: 1, maxLength: 10 })
        .filter(
          (k) => !["id", "name", "namespace", "url", "variables", "boxes", "load_boxes_from", "__proto__"].includes(k),
        ),
      freeText,
      { maxKeys: 2 },
    ),
    boxes: fc.uniqueArray(fc.tuple(label, box), { minLength: 1, maxLength: 4, selector: ([name]) => name }),
  })
  .map(({ boxes, variables, ...rest }) => ({
    ...rest,
    variables,
    nameVariable: Object.keys(variables)[0] ?? null,
    // One directory per box, so files never clash.
    boxes: boxes.map(([name, b], i) => ({ ...b, name, dir: `${i}-${b.dir}` })),
  }));

/** The environment.toml of a model, written by smol-toml. */
function specToml(env: EnvironmentModel): string {
  const boxes = env.boxes.map((b) => ({
    type: b.type,
    name: b.name,
    chart: b.type === "helm" ? (b.chartFile ? `${b.dir}/Chart.yaml` : `\${PWD}/${b.dir}`) : `${b.dir}/manifest.yaml`,
    ...(b.values ? { values: `${b.dir}/values.yaml` } : {}),
    ...(b.namespace ? { namespace: b.namespace } : {}),
    ...(b.tests === null ? {} : { tests: b.tests }),
    ...(b.applications.length > 0
      ? { applications: b.applications.map((a) => ({ name: a.name, chart: `${b.dir}/templates/${a.file}` })) }
      : {}),
  }));
  return stringify({
    ...env.extraKeys,
    id: env.id,
    name: escape(env.name) + (env.nameVariable ? `\${${env.nameVariable}}` : ""),
    ...(env.namespace ? { namespace: env.namespace } : {}),
    ...(env.url !== null ? { url: escape(env.url) } : {}),
    variables: "vars.env",
    boxes,
  });
}

/** The files the spec points at. */
function repoFiles(env: EnvironmentModel): Record<string, string> {
  const files: Record<string, string> = {
    "environment.toml": specToml(env),
    "vars.env": Object.entries(env.variables)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  };
  for (const b of env.boxes) {
    if (b.type === "helm") files[`${b.dir}/Chart.yaml`] = "apiVersion: v2\nname: demo\nversion: 0.1.0\n";
    else files[`${b.dir}/manifest.yaml`] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
    if (b.values) files[`${b.dir}/values.yaml`] = "a: 1\n";
    for (const a of b.applications) files[`${b.dir}/templates/${a.file}`] = "kind: ConfigMap\n";
  }
  return files;
}

/** What loadSpec must resolve a model to. */
function expectedModel(env: EnvironmentModel, root: string) {
  // Without a namespace, CLI mode makes one from the id (slugged: "a--b" becomes "a-b-<hash>").
  const namespace = env.namespace ?? dnsLabel(env.id);
  return {
    environment: {
      id: env.id,
      name: env.name + (env.nameVariable ? (env.variables[env.nameVariable] ?? "") : ""),
      namespace,
      url: env.url || null,
      extraNamespaces: [...new Set(env.boxes.map((b) => b.namespace ?? namespace))].filter((ns) => ns !== namespace),
      mode: "cli",
      pr: null,
    },
    boxes: env.boxes.map((b, index) => ({
      index,
      type: b.type,
      name: b.name,
      namespace: b.namespace ?? namespace,
      chart: path.join(root, b.type === "helm" ? b.dir : `${b.dir}/manifest.yaml`),
      values: b.values ? path.join(root, `${b.dir}/values.yaml`) : null,
      applications: b.applications.map((a) => ({
        name: a.name,
        file: path.join(root, `${b.dir}/templates/${a.file}`),
      })),
      tests: b.tests ?? false,
      // Every box is this repository's: its own tree, no other origin.
      tree: root,
      origin: null,
    })),
  };
}

function modelOf(spec: ResolvedSpec) {
  return {
    environment: spec.environment,
    boxes: spec.boxes.map(({ vars: _vars, tree, ...rest }) => ({ ...rest, tree: tree.root })),
  };
}

describe("loading environment.toml, for any file", () => {
  it("loads any valid environment written by smol-toml back to the same model", async () => {
    await fc.assert(
      fc.asyncProperty(environment, async (env) => {
        const root = await tempRepo(repoFiles(env));
        const spec = await loadSpec({ file: "environment.toml", root, env: {} });
        expect(modelOf(spec)).toEqual(expectedModel(env, root));
        for (const key of Object.keys(env.extraKeys))
          expect(spec.warnings.join("\n")).toContain(`unknown key ${key} is ignored`);
      }),
      { ...RUNS, numRuns: 150 },
    );
  });

  it("derives a valid Helm release name for a box written without one, whatever its chart directory is called", async () => {
    const longName = fc
      .stringMatching(/^[A-Za-z0-9 ._-]{40,120}$/)
      .filter((name) => name.trim() === name && !/^\.+$/.test(name));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fileName, longName), fc.boolean(), async (dir, chartFile) => {
        const chart = chartFile ? `${dir}/Chart.yaml` : dir;
        const root = await tempRepo({
          [`${dir}/Chart.yaml`]: "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
          "environment.toml": stringify({ id: "x", boxes: [{ type: "helm", chart }] }),
        });
        const [resolved] = (await loadSpec({ file: "environment.toml", root, env: {} })).boxes;
        expect(resolved?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        expect(resolved?.name.length).toBeLessThanOrEqual(53);
      }),
      { ...RUNS, numRuns: 100 },
    );
  });

  it("refuses anything else with a SpecError, and a syntax error with its file, line and column", async () => {
    const root = await tempRepo({ "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n" });
    const valid = environment.map((env) => specToml(env));
    const truncated = fc.tuple(valid, fc.nat()).map(([text, at]) => text.slice(0, at % (text.length + 1)));
    const spliced = fc
      .tuple(
        valid,
        fc.nat(),
        fc.string({
          unit: fc.constantFrom("[", "]", "=", '"', "'", "\n", "{", "}", ",", "#", "\\", "x", " ", "\u0000"),
        }),
      )
      .map(([text, at, junk]) => text.slice(0, at % (text.length + 1)) + junk + text.slice(at % (text.length + 1)));
    const garbage = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: "grapheme", maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(truncated, spliced, garbage), async (text) => {
        await writeFile(path.join(root, "environment.toml"), text);
        const error = await loadSpec({ file: "environment.toml", root, env: {} }).then(
          () => null,
          (caught: unknown) => caught,
        );
        if (error === null) return;
        expect(error, String(error)).toBeInstanceOf(SpecError);
        const { message, location } = error as SpecError;
        if (!message.startsWith("invalid TOML")) return;
        const lines = text.split("\n").length;
        expect(location).toEqual({ file: "environment.toml", line: expect.any(Number), column: expect.any(Number) });
        expect(location?.line).toBeGreaterThanOrEqual(1);
        expect(location?.line).toBeLessThanOrEqual(lines);
        expect(location?.column).toBeGreaterThanOrEqual(1);
        expect(describeError(error)).toMatch(/^environment\.toml:\d+:\d+: invalid TOML/);
      }),
      { ...RUNS, numRuns: 600 },
    );
  });

  it("refuses a field of the wrong type with a SpecError naming the field and its line", async () => {
    const wrong = fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.constant({ nested: "table" }),
      /* smol-toml writes years past 9999 as invalid TOML */ fc.date({
        min: new Date("0001-01-01T00:00:00Z"),
        max: new Date("9999-12-31T00:00:00Z"),
        noInvalidDate: true,
      }),
    );
    const fields = fc.constantFrom("id", "name", "namespace", "url", "variables", "type", "chart", "values");
    await fc.assert(
      fc.asyncProperty(environment, fields, wrong, async (env, field, value) => {
        const data = parse(specToml(env));
        const boxes = data.boxes as Record<string, unknown>[];
        const target = ["type", "chart", "values"].includes(field) ? (boxes[0] as Record<string, unknown>) : data;
        target[field] = value;
        const root = await tempRepo({ "environment.toml": stringify(data) });
        const error = await loadSpec({ file: "environment.toml", root, env: {} }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(SpecError);
        const where = target === data ? field : `boxes[0].${field}`;
        expect((error as SpecError).message).toContain(where);
        const line = (error as SpecError).location?.line;
        expect(line).toBeDefined();
        // `field = …`, or `[field]` / `[boxes.field]` when the wrong value is a table.
        expect(stringify(data).split("\n")[(line ?? 0) - 1]).toMatch(
          new RegExp(`^\\s*(${field}\\s*=|\\[(boxes\\.)?${field}\\])`),
        );
      }),
      { ...RUNS, numRuns: 150 },
    );
  });
});
