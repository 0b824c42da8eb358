import path from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { cli } from "../../support/cli.js";
import { configMapChart, tempRepo } from "../../support/repo.js";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const example = ["-f", "fixtures/k8sbox-example/environment.toml"];
const prFlags = [
  "--repo",
  "acme/shop",
  "--pr",
  "42",
  "--branch",
  "feature/login",
  "--sha",
  "0123456789abcdef0123456789abcdef01234567",
];

describe("prbox render", () => {
  it("reads a box's other repository from the checkout --source names, and refuses a malformed --source", async () => {
    const api = await tempRepo({ ...configMapChart });
    const frontend = await tempRepo({
      "environment.toml":
        'id = "shop"\n[[boxes]]\ntype = "helm"\nname = "api"\nrepository = "acme/api"\nchart = "chart"\n',
    });
    const result = await cli(["render", "-f", "environment.toml", "--source", `acme/api=${api}`], { cwd: frontend });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("# Source: acme/api:chart/templates/configmap.yaml (box api)\n");
    expect(result.stdout).toContain("name: api-config");

    const without = await cli(["render", "-f", "environment.toml"], { cwd: frontend });
    expect(without.status).toBe(2);
    expect(without.stderr).toContain("hint: give a local checkout with --source acme/api=DIR");
    const malformed = await cli(["render", "-f", "environment.toml", "--source", "acme/api"], { cwd: frontend });
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toBe("error: --source acme/api: expected owner/name=DIR\n");
  });

  it("prints one JSON document with the environment and its objects", async () => {
    const result = await cli(["render", ...example, "-o", "json"], { cwd: repoRoot });
    expect(result.status).toBe(0);
    const parsed = JSON.parse(result.stdout) as { environment: unknown; objects: { kind: string }[] };
    expect(parsed.environment).toEqual({
      id: "k8sbox-example",
      name: "k8sbox example environment",
      namespace: "example",
      url: "https://first.preview.example.com/",
    });
    expect(parsed.objects.map((o) => o.kind)).toEqual(["Service", "Deployment", "Service", "Deployment", "Ingress"]);
  });

  it("prints a multi-document YAML stream by default", async () => {
    const result = await cli(["render", ...example], { cwd: repoRoot });
    expect(result.status).toBe(0);
    const documents = parseAllDocuments(result.stdout) as unknown as { toJS(): { kind: string } }[];
    expect(documents.map((d) => d.toJS().kind)).toEqual(["Service", "Deployment", "Service", "Deployment", "Ingress"]);
  });

  it("renders in PR mode with the context flags", async () => {
    // The example's Ingress claims first.preview.example.com: in PR mode only an allowed pattern lets it.
    const refused = await cli(["render", ...example, ...prFlags, "-o", "json"], { cwd: repoRoot });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("claims the host first.preview.example.com, which is not this pull request's");
    const result = await cli(
      ["render", ...example, ...prFlags, "--ingress-host", "*.preview.example.com", "-o", "json"],
      { cwd: repoRoot },
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).environment.namespace).toBe("example-pr-42");
  });

  it("exits 2 when the PR context is incomplete", async () => {
    const result = await cli(["render", ...example, "--pr", "42"], { cwd: repoRoot });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("PR mode needs --pr, --repo, --branch and --sha; missing --repo, --branch, --sha");
  });

  it("exits 2 with file, line and column for broken TOML", async () => {
    const root = await tempRepo({ "environment.toml": "[[boxes]\n" });
    const result = await cli(["render", "-f", "environment.toml"], { cwd: root });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: environment\.toml:1:\d+: invalid TOML/);
    expect(result.stdout).toBe("");
  });

  it("keeps the bot's secrets out of a PR render and out of every output", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": 'name = "${WEBHOOK_SECRET}"\n[[boxes]]\ntype = "helm"\nchart = "chart"\n',
    });
    const env = { WEBHOOK_SECRET: "hunter2-very-secret", PATH: process.env.PATH };
    const result = await cli(["render", "-f", "environment.toml", ...prFlags], { cwd: root, env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown variable ${WEBHOOK_SECRET} in name");
    expect(result.stdout + result.stderr).not.toContain("hunter2");
  });

  it("uses the process environment in CLI mode, as k8sbox does", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": 'id = "${TEAM}-env"\n[[boxes]]\ntype = "helm"\nchart = "chart"\n',
    });
    const result = await cli(["render", "-f", "environment.toml", "-o", "json"], { cwd: root, env: { TEAM: "blue" } });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).environment.id).toBe("blue-env");
  });

  it("lets --set win over the variables file", async () => {
    const root = await tempRepo({
      ...configMapChart,
      ".env": "TEAM=file\n",
      "environment.toml": 'id = "${TEAM}"\nvariables = ".env"\n[[boxes]]\ntype = "helm"\nchart = "chart"\n',
    });
    const result = await cli(["render", "-f", "environment.toml", "--set", "TEAM=flag", "-o", "json"], { cwd: root });
    expect(JSON.parse(result.stdout).environment.id).toBe("flag");
  });

  it("exits 2 for a malformed --set", async () => {
    const result = await cli(["render", ...example, "--set", "no-equals-sign"], { cwd: repoRoot });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--set no-equals-sign: expected KEY=VALUE");
  });

  it("prints warnings on stderr, keeping stdout clean for kubectl", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": 'id = "x"\ncolour = "blue"\n[[boxes]]\ntype = "helm"\nchart = "chart"\n',
    });
    const result = await cli(["render", "-f", "environment.toml", "-o", "json"], { cwd: root });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("warning: unknown key colour is ignored");
    expect(() => JSON.parse(result.stdout)).not.toThrow();
  });
});

describe("prbox --help", () => {
  it("explains the tool and lists the verbs", async () => {
    const result = await cli(["--help"], { cwd: repoRoot });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: prbox");
    expect(result.stdout).toContain("render");
  });

  it("exits 2 on an unknown verb", async () => {
    const result = await cli(["deploy-everything"], { cwd: repoRoot });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command");
  });
});
