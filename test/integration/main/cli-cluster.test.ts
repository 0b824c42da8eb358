import { randomInt } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { testKubeconfig } from "../../support/cluster-fixtures.js";
import { cli } from "../../support/cli.js";
import { tempRepo } from "../../support/repo.js";

const repoRoot = path.resolve(import.meta.dirname, "../../..");

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A kubeconfig in `root` whose API server is a loopback port nothing listens on. */
async function unreachableKubeconfig(root: string): Promise<string> {
  const kubeconfig = path.join(root, "kubeconfig");
  const port = await closedPort();
  await writeFile(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: 'https://127.0.0.1:${port}' } }]\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\nusers: [{ name: u, user: {} }]\ncurrent-context: c\n`,
  );
  return kubeconfig;
}

/** PR mode with a random PR number: every run gets a namespace of its own on the shared test cluster. */
function prFlags(): { flags: string[]; pr: number } {
  const pr = randomInt(100_000, 999_999);
  return {
    pr,
    flags: [
      "--repo",
      "acme/shop",
      "--pr",
      String(pr),
      "--branch",
      "feature/cli",
      "--sha",
      "0123456789abcdef0123456789abcdef01234567",
    ],
  };
}

describe("prbox run, get, describe and delete on a real cluster", () => {
  it("deploys the k8sbox example, lists it, describes it and deletes it", async () => {
    const kubeconfig = ["--kubeconfig", testKubeconfig()];
    const { flags, pr } = prFlags();
    // The example's Ingress host is not PR-specific: the operator's pattern allows it.
    const spec = [
      "-f",
      "fixtures/k8sbox-example/environment.toml",
      ...flags,
      "--ingress-host",
      "*.preview.example.com",
    ];
    const namespace = `example-pr-${pr}`;

    const run = await cli(["run", ...spec, ...kubeconfig, "--timeout", "60s"], { cwd: repoRoot });
    expect(run.stderr).not.toContain("error:");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`is ready in namespace ${namespace}`);
    expect(run.stdout).toContain("applied 5 objects, pruned 0");
    expect(run.stdout).toContain("url: https://first.preview.example.com/");

    const get = await cli(["get", "environments", "-n", namespace, "-o", "json", ...kubeconfig], { cwd: repoRoot });
    expect(get.status).toBe(0);
    const records = JSON.parse(get.stdout) as { id: string; status: string; pr: number; repo: string }[];
    expect(records).toHaveLength(1);
    const id = records[0]?.id as string;
    expect(records[0]).toMatchObject({ status: "ready", pr, repo: "acme/shop" });

    const table = await cli(["get", "env", "-n", namespace, ...kubeconfig], { cwd: repoRoot });
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+NAMESPACE\s+STATUS\s+REPO\s+PR\s+SHA\s+AGE\s+URL$/);
    expect(table.stdout).toContain(`${id}   ${namespace}   ready`);

    const describeRun = await cli(["describe", "environment", id, ...kubeconfig], { cwd: repoRoot });
    expect(describeRun.status).toBe(0);
    expect(describeRun.stdout).toMatch(/Status:\s+ready/);
    expect(describeRun.stdout).toMatch(/Deployment\s+\S+\s+first-service\s+ready/);
    expect(describeRun.stdout).toMatch(/Ingress\s+\S+\s+www\s+present/);

    const redeploy = await cli(["run", ...spec, ...kubeconfig, "--timeout", "60s"], { cwd: repoRoot });
    expect(redeploy.status).toBe(0);
    expect(redeploy.stdout).toContain("applied 5 objects, pruned 0");

    const deleted = await cli(["delete", ...spec, ...kubeconfig], { cwd: repoRoot });
    expect(deleted.status).toBe(0);
    expect(deleted.stdout).toBe(`environment ${id}: deleted namespace ${namespace}\n`);

    const again = await cli(["delete", "environment", id, ...kubeconfig], { cwd: repoRoot });
    expect(again.stdout).toBe(`environment ${id} does not exist; nothing to delete\n`);
    const gone = await cli(["describe", "env", id, ...kubeconfig], { cwd: repoRoot });
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain(`environment ${id} not found`);
  });

  it("exits 1 naming the object and the reason when a workload never becomes ready", async () => {
    const root = await tempRepo({
      "k8s/web.yaml": [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: { name: web }",
        "spec:",
        "  replicas: 1",
        "  selector: { matchLabels: { app: web } }",
        "  template:",
        "    metadata: { labels: { app: web, prbox.dev/test-fail: ImagePullBackOff } }",
        "    spec: { containers: [{ name: web, image: registry.example.com/missing:1 }] }",
        "",
      ].join("\n"),
      "environment.toml": 'namespace = "broken"\n[[boxes]]\ntype = "manifests"\nchart = "k8s"\nname = "web"\n',
    });
    const { flags } = prFlags();
    const kubeconfig = ["--kubeconfig", testKubeconfig()];
    const run = await cli(["run", "-f", "environment.toml", ...flags, ...kubeconfig, "--timeout", "15s"], {
      cwd: root,
    });
    try {
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("Deployment");
      expect(run.stderr).toContain("web");
      expect(run.stderr).toContain("ImagePullBackOff");
    } finally {
      await cli(["delete", "-f", "environment.toml", ...flags, ...kubeconfig], { cwd: root });
    }
  });

  it("runs the Helm tests of a box with tests = true after the deploy, prints each, and exits 1 when one fails", async () => {
    const testPod = (name: string, exitCode: number) =>
      [
        "---",
        "apiVersion: v1",
        "kind: Pod",
        `metadata: { name: ${name}, annotations: { helm.sh/hook: test }, labels: { prbox.dev/test-exit-code: "${exitCode}" } }`,
        `spec: { restartPolicy: Never, containers: [{ name: check, image: registry.example.com/check:1 }] }`,
      ].join("\n");
    const root = await tempRepo({
      "k8s/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\n",
      "k8s/tests.yaml": `${testPod("smoke", 0)}\n${testPod("login", 2)}\n`,
      "environment.toml": '[[boxes]]\ntype = "manifests"\nchart = "k8s"\nname = "web"\ntests = true\n',
    });
    const { flags } = prFlags();
    const kubeconfig = ["--kubeconfig", testKubeconfig()];
    const run = await cli(["run", "-f", "environment.toml", ...flags, ...kubeconfig, "--timeout", "30s"], {
      cwd: root,
    });
    try {
      expect(run.stdout).toContain("is ready in namespace");
      expect(run.stdout).toContain("  tests: 1 of 2 passed\n");
      expect(run.stdout).toContain("    passed Pod/smoke (box web): succeeded\n");
      expect(run.stdout).toContain(
        "    FAILED Pod/login (box web): container check exited with code 2 (Error)\n      check:\n",
      );
      expect(run.stderr).toContain("error: 1 of 2 chart tests failed: Pod/login\n");
      expect(run.status).toBe(1);
    } finally {
      await cli(["delete", "-f", "environment.toml", ...flags, ...kubeconfig], { cwd: root });
    }
  });

  it("exits 1 with one clear line when the cluster cannot be reached", async () => {
    const root = await tempRepo({
      "k8s/c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n",
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "manifests"\nchart = "k8s"\n',
    });
    const kubeconfig = await unreachableKubeconfig(root);
    const run = await cli(["run", "-f", "environment.toml", "--kubeconfig", kubeconfig], { cwd: root });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")[0]).toMatch(
      /^error: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: connection refused/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a chart that fails to render, not the cluster it connects to meanwhile", async () => {
    const root = await tempRepo({
      "chart/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
      "chart/templates/c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.name }}\n",
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "helm"\nname = "broken"\nchart = "chart"\n',
    });
    const kubeconfig = await unreachableKubeconfig(root);
    const run = await cli(["run", "-f", "environment.toml", "--kubeconfig", kubeconfig], { cwd: root });
    expect(run.status, run.stderr).toBe(2); // an invalid spec
    expect(run.stderr).toContain("boxes[0] (broken): helm could not render the chart: broken/templates/c.yaml:4:18");
    expect(run.stderr).not.toContain("cannot reach the Kubernetes API");
  });
});
