import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../../src/errors.js";
import { loadSpec } from "../../../src/spec/load.js";
import { DEFAULT_RENDER_POLICY } from "../../../src/spec/context.js";
import { configMapChart, PR, tempRepo } from "../../support/repo.js";

const helmBox = 'type = "helm"\nchart = "chart"\nname = "demo"\n';

async function failure(promise: Promise<unknown>): Promise<SpecError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error("expected a SpecError, got success");
}

describe("loading environment.toml", () => {
  it("reports malformed TOML with its line and column", async () => {
    const root = await tempRepo({ "environment.toml": 'id = "x"\nnamespace = test\n' });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toMatch(/^invalid TOML/);
    expect(error.location).toMatchObject({ file: "environment.toml", line: 2 });
    expect(error.location?.column).toBeGreaterThan(0);
  });

  // Found by load.property.test.ts: a key holding a table was located in no line at all.
  it("points at the [header] of a field that holds a table instead of a string", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\n[[boxes]]\n${helmBox}\n[namespace]\nname = "a"\n`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toBe("namespace must be a string");
    expect(error.location).toEqual({ file: "environment.toml", line: 7, column: 1 });
  });

  // Found by load.property.test.ts: a name made from a long chart directory was refused as too long.
  it("shortens a release name it makes from a long chart directory to Helm's 53 characters", async () => {
    const dir = "a-very-long-chart-directory-name-that-keeps-going-and-going-x";
    const root = await tempRepo({
      [`${dir}/Chart.yaml`]: configMapChart["chart/Chart.yaml"] as string,
      "environment.toml": `id = "x"\n[[boxes]]\ntype = "helm"\nchart = "${dir}"\n`,
    });
    const spec = await loadSpec({ file: "environment.toml", root });
    expect(spec.boxes[0]?.name).toMatch(/^a-very-long-chart-directory-name-that-keeps-go-[0-9a-f]{6}$/);
    expect(spec.boxes[0]?.name.length).toBeLessThanOrEqual(53);
  });

  it("says which file is missing when the spec does not exist", async () => {
    const root = await tempRepo({});
    const error = await failure(loadSpec({ file: "nope/environment.toml", root }));
    expect(error.message).toContain("environment file not found");
    expect(error.hint).toContain("-f");
  });

  it("refuses an unknown box type, pointing at the box", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\n\n[[boxes]]\n${helmBox}\n[[boxes]]\ntype = "kustomize"\nchart = "chart"\n`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toBe('boxes[1].type: type = "kustomize" is not a box type: use "helm" or "manifests"');
    expect(error.location).toEqual({ file: "environment.toml", line: 9, column: 1 });
  });

  it("names the field and line of a values file that does not exist", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\n[[boxes]]\n${helmBox}values = "chart/missing.yaml"\n`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toBe("boxes[0].values: chart/missing.yaml does not exist");
    expect(error.location).toMatchObject({ file: "environment.toml", line: 6 });
  });

  it("refuses paths that climb out of the repository with ..", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "deploy/environment.toml": `id = "x"\n[[boxes]]\ntype = "helm"\nchart = "../../../etc"\n`,
    });
    const error = await failure(loadSpec({ file: "deploy/environment.toml", root }));
    expect(error.message).toBe('boxes[0].chart = "../../../etc" points outside the repository');
  });

  // Found by paths.property.test.ts: "..values" was taken for a path that climbs out.
  it("accepts files and directories whose names start with two dots", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "..config/values.yaml": "greeting: hi\n",
      "environment.toml": `id = "x"\n[[boxes]]\n${helmBox}values = "..config/values.yaml"\n`,
    });
    const spec = await loadSpec({ file: "environment.toml", root });
    expect(spec.boxes[0]?.values).toBe(`${root}/..config/values.yaml`);
  });

  it("refuses absolute paths elsewhere on the machine", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\n[[boxes]]\n${helmBox}values = "/etc/hostname"\n`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toBe('boxes[0].values = "/etc/hostname" points outside the repository');
  });

  it("refuses a symlink inside the repository that points out of it", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "values.yaml": { link: "/etc/hostname" },
      "environment.toml": `id = "x"\n[[boxes]]\n${helmBox}values = "values.yaml"\n`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toBe('boxes[0].values = "values.yaml" points outside the repository');
  });

  it("accepts ${PWD} paths, which are the root of the sources", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "${PWD}/chart/Chart.yaml"\n',
    });
    const spec = await loadSpec({ file: "environment.toml", root });
    expect(spec.boxes[0]?.chart).toBe(`${root}/chart`);
  });

  it("warns about keys it does not know instead of failing, as k8sbox ignored them", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\ncolour = "blue"\n[[boxes]]\n${helmBox}valuez = "x"\n`,
    });
    const spec = await loadSpec({ file: "environment.toml", root });
    expect(spec.warnings).toEqual([
      expect.stringContaining("unknown key colour is ignored"),
      expect.stringContaining("unknown key boxes[0].valuez is ignored"),
    ]);
  });

  it("refuses two boxes with the same name", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\n[[boxes]]\n${helmBox}\n[[boxes]]\n${helmBox}`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toBe('boxes[1] and boxes[0] are both named "demo"');
  });

  it("refuses an environment without boxes", async () => {
    const root = await tempRepo({ "environment.toml": 'id = "x"\n' });
    expect((await failure(loadSpec({ file: "environment.toml", root }))).message).toBe("the environment has no boxes");
  });

  it("refuses a helm box whose chart is not a chart", async () => {
    const root = await tempRepo({
      "docs/readme.md": "hi",
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "docs"\n',
    });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toBe("boxes[0].chart: docs is not a Helm chart (it has no Chart.yaml)");
  });
});

describe("CLI mode", () => {
  it("reads the process environment and the .env file, the process winning as in k8sbox", async () => {
    const root = await tempRepo({
      ...configMapChart,
      ".env": "TEAM=from-file\nREGION=eu\n",
      "environment.toml": `id = "\${TEAM}-\${REGION}"\nvariables = "\${PWD}/.env"\n[[boxes]]\n${helmBox}`,
    });
    const spec = await loadSpec({ file: "environment.toml", root, env: { TEAM: "from-env" } });
    expect(spec.environment.id).toBe("from-env-eu");
    expect(spec.environment.mode).toBe("cli");
  });

  it("lets a box deploy into a namespace of its own, as k8sbox did", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\nnamespace = "main"\n[[boxes]]\n${helmBox}namespace = "other"\n`,
    });
    const spec = await loadSpec({ file: "environment.toml", root });
    expect(spec.environment.extraNamespaces).toEqual(["other"]);
  });

  it("refuses a namespace that Kubernetes would refuse, suggesting a valid one", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\nnamespace = "My_Env"\n[[boxes]]\n${helmBox}`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root }));
    expect(error.message).toBe('namespace "My_Env" is not a valid Kubernetes namespace name');
    expect(error.hint).toContain('"my-env"');
  });

  it("loads remote boxes from load_boxes_from", async () => {
    const server = createServer((_req, res) => res.end(`[[boxes]]\n${helmBox}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/boxes.toml`;
    try {
      const root = await tempRepo({ ...configMapChart, "environment.toml": `id = "x"\nload_boxes_from = "${url}"\n` });
      const spec = await loadSpec({ file: "environment.toml", root });
      expect(spec.boxes.map((b) => b.name)).toEqual(["demo"]);
    } finally {
      server.close();
    }
  });
});

describe("PR mode", () => {
  it("never reads the bot's environment: ${WEBHOOK_SECRET} is an unknown variable and its value appears nowhere", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "x"\nname = "\${WEBHOOK_SECRET}"\n[[boxes]]\n${helmBox}`,
    });
    const env = { WEBHOOK_SECRET: "hunter2-very-secret" };
    const error = await failure(loadSpec({ file: "environment.toml", root, env, pr: PR }));
    expect(error.message).toBe("unknown variable ${WEBHOOK_SECRET} in name");
    expect(error.location).toEqual({ file: "environment.toml", line: 2, column: 9 });
    expect(JSON.stringify({ message: error.message, hint: error.hint })).not.toContain("hunter2");
  });

  it("derives the id from the PR and suffixes the spec's namespace with the PR number", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `id = "static"\nnamespace = "shop"\n[[boxes]]\n${helmBox}`,
    });
    const spec = await loadSpec({ file: "environment.toml", root, pr: PR });
    expect(spec.environment.namespace).toBe("shop-pr-42");
    expect(spec.environment.id).toMatch(/^github-acme-shop-[0-9a-f]{6}-pr-42$/);
  });

  it("reads probe as true, false or a path, and refuses anything else with where and what to write", async () => {
    for (const [value, expected] of [
      ["true", true],
      ["false", false],
      ['"/healthz"', "/healthz"],
    ] as const) {
      const root = await tempRepo({ ...configMapChart, "environment.toml": `probe = ${value}\n[[boxes]]\n${helmBox}` });
      expect((await loadSpec({ file: "environment.toml", root, pr: PR })).environment.probe).toBe(expected);
    }
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `probe = "https://169.254.169.254/"\n[[boxes]]\n${helmBox}`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root, pr: PR }));
    expect(error.message).toContain('probe = "https://169.254.169.254/" is not a path');
    expect(error.hint).toContain('probe = "/healthz"');
  });

  it("names the namespace after the repository when the spec has none", async () => {
    const root = await tempRepo({ ...configMapChart, "environment.toml": `[[boxes]]\n${helmBox}` });
    const spec = await loadSpec({ file: "environment.toml", root, pr: PR });
    expect(spec.environment.namespace).toMatch(/^acme-shop-[0-9a-f]{6}-pr-42$/);
  });

  it("always ends the namespace in the PR's own suffix, even when the spec's expression has one already", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `namespace = "preview-pr-\${PRBOX_PR}"\nurl = "https://\${PRBOX_BRANCH_SLUG}.example.com"\n[[boxes]]\n${helmBox}`,
    });
    const spec = await loadSpec({ file: "environment.toml", root, pr: PR });
    expect(spec.environment.namespace).toBe("preview-pr-42");
    expect(spec.environment.url).toBe("https://feature-login.example.com");
  });

  it("takes what a namespace expression gives only as the prefix: kube-system, a branch name or another PR's namespace never name the namespace", async () => {
    const cases: [string, Record<string, string>, typeof PR, string][] = [
      ["${NS:-${PRBOX_PR}}", { ".env": "NS=kube-system\n" }, PR, "kube-system-pr-42"],
      ["${PRBOX_BRANCH}", {}, { ...PR, branch: "kube-system" }, "kube-system-pr-42"],
      ["shop-pr-7", {}, PR, "shop-pr-7-pr-42"],
      ["${PRBOX_SHA:-x}", {}, PR, `${PR.sha}-pr-42`],
    ];
    for (const [expression, files, pr, expected] of cases) {
      const variables = ".env" in files ? 'variables = ".env"\n' : "";
      const root = await tempRepo({
        ...configMapChart,
        ...files,
        "environment.toml": `${variables}namespace = "${expression}"\n[[boxes]]\n${helmBox}`,
      });
      const spec = await loadSpec({ file: "environment.toml", root, pr });
      expect(spec.environment.namespace, expression).toBe(expected);
      expect(spec.boxes[0]?.namespace).toBe(expected);
    }
  });

  it("puts a box that writes the spec's own namespace expression into the environment's namespace", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `namespace = "shop"\n[[boxes]]\n${helmBox}namespace = "shop"\n`,
    });
    const spec = await loadSpec({ file: "environment.toml", root, pr: PR });
    expect(spec.boxes[0]?.namespace).toBe("shop-pr-42");
  });

  it("gives an allowed foreign box namespace the PR's suffix too", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `namespace = "shop"\n[[boxes]]\n${helmBox}namespace = "kube-system"\n`,
    });
    const spec = await loadSpec({
      file: "environment.toml",
      root,
      pr: PR,
      policy: { ...DEFAULT_RENDER_POLICY, allowForeignNamespaces: true },
    });
    expect(spec.boxes[0]?.namespace).toBe("kube-system-pr-42");
    expect(spec.environment.extraNamespaces).toEqual(["kube-system-pr-42"]);
  });

  it("refuses a box namespace that differs from the environment's", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `namespace = "shop"\n[[boxes]]\n${helmBox}namespace = "kube-system"\n`,
    });
    const error = await failure(loadSpec({ file: "environment.toml", root, pr: PR }));
    expect(error.message).toContain(
      'boxes[0].namespace = "kube-system" differs from the environment\'s namespace shop-pr-42',
    );
    expect(error.location).toMatchObject({ line: 6 });
  });

  it("stops reading an endless load_boxes_from body at 1 MiB, with a permanent error", async () => {
    let sent = 0;
    const server = createServer((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, "#");
      const more = () => {
        // Stops on its own long after the limit, so a reader without a limit would still end.
        while (sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent >= 64 * 1024 * 1024) res.end();
      };
      res.on("drain", more);
      res.on("close", () => res.off("drain", more));
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const root = await tempRepo({ "environment.toml": `load_boxes_from = "http://${host}/boxes.toml"\n` });
      const error = await failure(
        loadSpec({ file: "environment.toml", root, pr: PR, policy: { ...DEFAULT_RENDER_POLICY, remoteHosts: [host] } }),
      );
      expect(error.message).toBe(
        `load_boxes_from: cannot fetch http://${host}/boxes.toml: the document is larger than 1024 KiB`,
      );
      expect(error.kind).toBe("permanent");
      expect(sent).toBeLessThan(16 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("allows only the default port of an allowed load_boxes_from host", async () => {
    const root = await tempRepo({ "environment.toml": 'load_boxes_from = "https://boxes.example.com:6379/b.toml"\n' });
    const error = await failure(
      loadSpec({
        file: "environment.toml",
        root,
        pr: PR,
        policy: { ...DEFAULT_RENDER_POLICY, remoteHosts: ["boxes.example.com"] },
      }),
    );
    expect(error.message).toBe(
      "load_boxes_from: fetching boxes from boxes.example.com:6379 is not allowed for pull requests",
    );
  });

  it("refuses load_boxes_from unless the operator allowed the host", async () => {
    const root = await tempRepo({ "environment.toml": 'load_boxes_from = "https://boxes.example.com/b.toml"\n' });
    const error = await failure(loadSpec({ file: "environment.toml", root, pr: PR }));
    expect(error.message).toBe(
      "load_boxes_from: fetching boxes from boxes.example.com is not allowed for pull requests",
    );
  });

  it("provides the PRBOX_* built-ins and --set values", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": `name = "\${PRBOX_REPO}#\${PRBOX_PR} \${PRBOX_SHORT_SHA} \${PRBOX_FORGE} \${TIER}"\n[[boxes]]\n${helmBox}`,
    });
    const spec = await loadSpec({ file: "environment.toml", root, pr: PR, set: { TIER: "gold" } });
    expect(spec.environment.name).toBe("acme/shop#42 0123456 github gold");
  });
});
