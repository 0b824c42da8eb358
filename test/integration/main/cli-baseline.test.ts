// `prbox render` and `prbox run` in PR mode apply the same baseline as the bot, from the same
// PRBOX_* settings in the environment; CLI mode is untouched by it.
import { randomInt } from "node:crypto";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { cleanUp, testCluster, testKubeconfig, uniqueName } from "../../support/cluster-fixtures.js";
import { cli } from "../../support/cli.js";
import { tempRepo } from "../../support/repo.js";

const cluster = testCluster();

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

const privileged = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1
          securityContext: { privileged: true }
`;

async function repoWith(manifest: string): Promise<string> {
  return tempRepo({
    "environment.toml":
      'namespace = "cli"\n[[boxes]]\ntype = "manifests"\nname = "app"\n[[boxes.applications]]\nname = "web"\nchart = "deploy/web.yaml"\n',
    "deploy/web.yaml": manifest,
  });
}

describe("the baseline from the command line", () => {
  it("makes prbox render in PR mode say what Pod Security would refuse, naming file and object", async () => {
    const root = await repoWith(privileged);

    const result = await cli(["render", "-f", "environment.toml", ...prFlags().flags], { cwd: root });

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'error: deploy/web.yaml: Deployment web (deploy/web.yaml): pods would be refused by Pod Security "baseline": privileged (container "web" must not set securityContext.privileged=true)',
    );
    // CLI mode (k8sbox's) is not a pull request: no baseline.
    expect((await cli(["render", "-f", "environment.toml"], { cwd: root })).status).toBe(0);
    // The operator's level is the one checked.
    expect(
      (
        await cli(["render", "-f", "environment.toml", ...prFlags().flags], {
          cwd: root,
          env: { PRBOX_POD_SECURITY: "privileged" },
        })
      ).status,
    ).toBe(0);
  });

  it("stops on a bad setting, naming it", async () => {
    const root = await repoWith(privileged);

    const result = await cli(["render", "-f", "environment.toml", ...prFlags().flags], {
      cwd: root,
      env: { PRBOX_POD_SECURITY: "open", PRBOX_INGRESS_NAMESPACES: "a in (b" },
    });

    expect(result.status).toBe(2);
    expect(result.stderr).toContain("PRBOX_POD_SECURITY: expected baseline, restricted or privileged");
    expect(result.stderr).toContain("PRBOX_INGRESS_NAMESPACES: not a label selector");
  });

  it("makes prbox run copy the operator's Secrets without printing them, and stops when their namespace does not exist", async () => {
    const from = uniqueName("cli-secrets");
    await cluster.core.createNamespace({ body: { metadata: { name: from } } });
    onTestFinished(() =>
      cluster.core.deleteNamespace({ name: from }).then(
        () => undefined,
        () => undefined,
      ),
    );
    await cluster.core.createNamespacedSecret({
      namespace: from,
      body: { metadata: { name: "registry" }, stringData: { token: "cli-s3cr3t-token" } },
    });
    const root = await repoWith(
      privileged.replace("securityContext: { privileged: true }", "ports: [{ containerPort: 8080 }]"),
    );
    const { flags, pr } = prFlags();
    const namespace = `cli-pr-${pr}`;
    const env = { PRBOX_COPY_SECRETS_FROM: from, PRBOX_COPY_SECRETS: "registry", PRBOX_IMAGE_PULL_SECRETS: "registry" };

    const run = await cli(
      ["run", "-f", "environment.toml", ...flags, "--kubeconfig", testKubeconfig(), "--timeout", "60s"],
      { cwd: root, env },
    );
    const ns = await cluster.core.readNamespace({ name: namespace });
    onTestFinished(() => cleanUp(cluster, ns.metadata?.labels?.["prbox.dev/environment"] ?? "?"));

    expect(run.stderr).not.toContain("error:");
    expect(run.status).toBe(0);
    const copy = await cluster.core.readNamespacedSecret({ name: "registry", namespace });
    expect(Buffer.from(copy.data?.token ?? "", "base64").toString()).toBe("cli-s3cr3t-token");
    expect(run.stdout + run.stderr).not.toContain("s3cr3t");

    const missing = await cli(["run", "-f", "environment.toml", ...prFlags().flags, "--kubeconfig", testKubeconfig()], {
      cwd: root,
      env: { ...env, PRBOX_COPY_SECRETS_FROM: uniqueName("gone") },
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("PRBOX_COPY_SECRETS_FROM: namespace");
    expect(missing.stderr).toContain("does not exist");
  });

  it("stops prbox worker at start-up on a bad level, and on a source namespace that does not exist, naming the setting", async () => {
    const root = await repoWith(privileged);
    const level = await cli(["worker"], { cwd: root, env: { PRBOX_POD_SECURITY: "open" } });
    expect(level.status).toBe(2);
    expect(level.stderr).toContain("PRBOX_POD_SECURITY: expected baseline, restricted or privileged");

    const missing = uniqueName("gone");
    const env = {
      NODE_ENV: "development",
      PRBOX_REDIS_URL: inject("redisUrl"),
      PRBOX_REDIS_PREFIX: uniqueName("baseline"),
      PRBOX_REDIS_CHECK: "off",
      KUBECONFIG: testKubeconfig(),
      PRBOX_COPY_SECRETS_FROM: missing,
      PRBOX_COPY_SECRETS: "registry",
    };
    const worker = await cli(["worker"], { cwd: root, env });
    expect(worker.status).toBe(2);
    expect(worker.stderr).toContain(
      `PRBOX_COPY_SECRETS_FROM: namespace ${missing} does not exist; create it and put the Secrets to copy there, or change the setting`,
    );
  });
});
