import diagnostics from "node:diagnostics_channel";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderSpec } from "../../../src/core/render-spec.js";
import { RenderError, SpecError } from "../../../src/errors.js";
import type { RenderedEnvironment } from "../../../src/model.js";
import { DEFAULT_RENDER_POLICY } from "../../../src/spec/context.js";
import { configMapChart, PR, tempRepo } from "../../support/repo.js";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const k8sboxExample = "fixtures/k8sbox-example/environment.toml";

const summary = (rendered: RenderedEnvironment) =>
  rendered.objects.map(
    (o) => `${o.phase} ${o.box} ${o.object.kind}/${o.object.metadata.namespace ?? "-"}/${o.object.metadata.name}`,
  );

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("expected the render to fail");
    },
    (error: Error) => error,
  );
}

describe("the k8sbox example (two services, an ingress, a .env file, ${PWD} paths)", () => {
  it("renders in CLI mode as k8sbox would deploy it, with the values files really applied", async () => {
    const rendered = await renderSpec({ file: k8sboxExample, root: repoRoot, env: {} });
    expect(rendered.environment).toMatchObject({
      id: "k8sbox-example",
      namespace: "example",
      url: "https://first.preview.example.com/",
    });
    expect(summary(rendered)).toEqual([
      "main first-box Service/example/first-service",
      "main first-box Deployment/example/first-service",
      "main second-box Service/example/second-service",
      "main second-box Deployment/example/second-service",
      "main third-box Ingress/example/www",
    ]);
    const second = rendered.objects[3]?.object as unknown as { spec: { replicas: unknown } };
    expect(second.spec.replicas).toBe(2);
    expect(rendered.objects.map((o) => o.object)).toMatchSnapshot();
  });

  it("renders in PR mode into the PR's own namespace, labelled with the PR's environment", async () => {
    const policy = { ...DEFAULT_RENDER_POLICY, ingressHosts: ["*.preview.example.com"] };
    const rendered = await renderSpec({ file: k8sboxExample, root: repoRoot, pr: PR, policy });
    expect(rendered.environment.namespace).toBe("example-pr-42");
    for (const { object } of rendered.objects) {
      expect(object.metadata.namespace).toBe("example-pr-42");
      expect(object.metadata.labels).toMatchObject({
        "app.kubernetes.io/managed-by": "prbox",
        "prbox.dev/environment": rendered.environment.id,
      });
    }
  });
});

describe("values files", () => {
  const chart = {
    ...configMapChart,
    "chart/templates/configmap.yaml":
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typed\ndata:\n  types: {{ toJson .Values | quote }}\n",
  };

  it("keep their YAML types through interpolation", async () => {
    const root = await tempRepo({
      ...chart,
      ".env": "REPLICAS=3\nTAG=1.10\nSHA=0123456\nHOST=api.example.com\nDEBUG=true\n",
      "values.yaml": [
        "replicas: ${REPLICAS}",
        "fixed: 2",
        "version: ${TAG}",
        "sha: ${SHA}",
        'tag: "${TAG}"',
        "debug: ${DEBUG}",
        "quotedBool: 'true'",
        "hosts:",
        "  - ${HOST}",
        "  - literal-$$HOST",
        "nested: { deep: { name: 'svc-${HOST}' } }",
        "",
      ].join("\n"),
      "environment.toml":
        'id = "x"\nvariables = ".env"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nvalues = "values.yaml"\nname = "demo"\n',
    });
    const rendered = await renderSpec({ file: "environment.toml", root, env: {} });
    const data = rendered.objects[0]?.object.data as { types: string };
    expect(JSON.parse(data.types)).toEqual({
      greeting: "hello",
      replicas: 3,
      fixed: 2,
      version: "1.10",
      sha: "0123456",
      tag: "1.10",
      debug: true,
      quotedBool: "true",
      hosts: ["api.example.com", "literal-$HOST"],
      nested: { deep: { name: "svc-api.example.com" } },
    });
  });

  it("name the file, line and key of an unknown variable", async () => {
    const root = await tempRepo({
      ...chart,
      "values.yaml": "image:\n  tag: ${IMAGE_TAG}\n",
      "environment.toml":
        'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nvalues = "values.yaml"\nname = "demo"\n',
    });
    const error = await rejection(renderSpec({ file: "environment.toml", root, env: {} }));
    expect(error).toBeInstanceOf(SpecError);
    expect(error.message).toBe("unknown variable ${IMAGE_TAG} in image.tag");
    expect((error as SpecError).location).toEqual({ file: "values.yaml", line: 2, column: 8 });
  });

  it("report broken YAML with its line", async () => {
    const root = await tempRepo({
      ...chart,
      "values.yaml": "a: 1\nb: [unclosed\n",
      "environment.toml":
        'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nvalues = "values.yaml"\nname = "demo"\n',
    });
    const error = (await rejection(renderSpec({ file: "environment.toml", root, env: {} }))) as SpecError;
    expect(error.message).toMatch(/^invalid YAML/);
    expect(error.location?.file).toBe("values.yaml");
    expect(error.location?.line).toBeGreaterThanOrEqual(2);
  });
});

describe("helm boxes", () => {
  const twoTemplates = {
    ...configMapChart,
    "chart/templates/secret.yaml":
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-secret\nstringData:\n  k: v\n",
  };

  it("render only the templates the applications list", async () => {
    const root = await tempRepo({
      ...twoTemplates,
      "environment.toml":
        'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart/Chart.yaml"\nname = "demo"\n  [[boxes.applications]]\n  name = "secret"\n  chart = "chart/templates/secret.yaml"\n',
    });
    const rendered = await renderSpec({ file: "environment.toml", root, env: {} });
    expect(summary(rendered)).toEqual(["main demo Secret/x/demo-secret"]);
  });

  it("render every template when no applications are listed", async () => {
    const root = await tempRepo({
      ...twoTemplates,
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nname = "demo"\n',
    });
    const rendered = await renderSpec({ file: "environment.toml", root, env: {} });
    expect(summary(rendered).sort()).toEqual(["main demo ConfigMap/x/demo-config", "main demo Secret/x/demo-secret"]);
  });

  it("render an application template kept outside the chart, as k8sbox copied it in", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "extra/service.yaml":
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-svc\nspec:\n  ports: [{ port: 80 }]\n",
      "environment.toml":
        'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nname = "demo"\n  [[boxes.applications]]\n  chart = "extra/service.yaml"\n',
    });
    const rendered = await renderSpec({ file: "environment.toml", root, env: {} });
    expect(summary(rendered)).toEqual(["main demo Service/x/demo-svc"]);
  });

  it("copy a chart for outside application templates with its links read where they were checked, not from the scratch copy", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "chart/templates/configmap.yaml":
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: files\ndata:\n  x: {{ .Files.Get "files/x" | quote }}\n',
      // Inside the sources from the chart; copied as a link, it would resolve from the scratch directory instead.
      "chart/files/x": { link: "../../data/x" },
      "data/x": "from the repository",
      "extra/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports: [{ port: 80 }]\n",
      "environment.toml":
        'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nname = "demo"\n  [[boxes.applications]]\n  chart = "chart/templates/configmap.yaml"\n  [[boxes.applications]]\n  chart = "extra/service.yaml"\n',
    });
    const rendered = await renderSpec({ file: "environment.toml", root, env: {} });
    expect(summary(rendered)).toEqual(["main demo ConfigMap/x/files", "main demo Service/x/svc"]);
    expect(rendered.objects[0]?.object.data).toEqual({ x: "from the repository" });
  });

  it("report a chart that fails to render with the template's path and line", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "chart/templates/configmap.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.greeting | nosuchfunction }}\n",
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nname = "demo"\n',
    });
    const error = (await rejection(renderSpec({ file: "environment.toml", root, env: {} }))) as RenderError;
    expect(error).toBeInstanceOf(RenderError);
    expect(error.message).toContain("boxes[0] (demo): helm could not render the chart");
    expect(error.message).toContain("nosuchfunction");
    expect(error.location).toMatchObject({ file: "chart/templates/configmap.yaml", line: 6 });
    expect(error.message).not.toContain(root);
  });

  it("refuse a chart holding a symlink that leads out of the repository", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "chart/files/passwd": { link: "/etc/passwd" },
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nname = "demo"\n',
    });
    const error = await rejection(renderSpec({ file: "environment.toml", root, env: {} }));
    expect(error.message).toBe("boxes[0].chart: chart/files/passwd is a symlink that leads outside the repository");
  });

  it("record helm hook phases and delete policies, and skip test hooks of a box that does not ask for them", async () => {
    const hook = (name: string, when: string, policy = "") =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n  annotations:\n    helm.sh/hook: ${when}\n${policy ? `    helm.sh/hook-delete-policy: ${policy}\n` : ""}spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{ name: c, image: busybox }]\n`;
    const root = await tempRepo({
      ...configMapChart,
      "chart/templates/migrate.yaml": hook("migrate", "pre-install,pre-upgrade", "before-hook-creation,hook-succeeded"),
      "chart/templates/notify.yaml": hook("notify", "post-install"),
      "chart/templates/tests/check.yaml": hook("check", "test"),
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nname = "demo"\n',
    });
    const rendered = await renderSpec({ file: "environment.toml", root, env: {} });
    expect(rendered.objects.map((o) => [o.object.metadata.name, o.phase, o.deletePolicies]).sort()).toEqual([
      ["demo-config", "main", []],
      ["migrate", "pre", ["before-hook-creation", "hook-succeeded"]],
      ["notify", "post", []],
    ]);
    expect(rendered.warnings).toEqual([
      "Job check (chart/templates/tests/check.yaml) is a helm test; skipped: set tests = true on the box demo to run it",
    ]);

    await writeFile(
      path.join(root, "environment.toml"),
      'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nname = "demo"\ntests = true\n',
    );
    const withTests = await renderSpec({ file: "environment.toml", root, env: {} });
    expect(withTests.objects.filter((o) => o.phase === "test").map((o) => o.object.metadata.name)).toEqual(["check"]);
    expect(withTests.warnings).toEqual([]);
  });

  it("refuse a box whose tests is not true or false", async () => {
    const root = await tempRepo({
      ...configMapChart,
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "helm"\nchart = "chart"\nname = "demo"\ntests = "yes"\n',
    });
    const error = await rejection(renderSpec({ file: "environment.toml", root, env: {} }));
    expect(error).toBeInstanceOf(SpecError);
    expect(error.message).toContain("tests must be true or false");
  });
});

describe("telling the caller that every helm process is started (prbox run connects to the cluster then)", () => {
  /** Counts the processes (helm's: a render starts no other) started while `render` runs, and the count at each onHelmStarted call. */
  async function helmStarts(render: (onHelmStarted: () => void) => Promise<unknown>) {
    let started = 0;
    const calls: number[] = [];
    const onChild = () => {
      started += 1;
    };
    diagnostics.subscribe("child_process", onChild);
    try {
      await render(() => calls.push(started));
    } finally {
      diagnostics.unsubscribe("child_process", onChild);
    }
    return { started, calls };
  }

  it("calls onHelmStarted once, when the last of the three helm boxes has its process (two run at a time)", async () => {
    const { started, calls } = await helmStarts((onHelmStarted) =>
      renderSpec({ file: k8sboxExample, root: repoRoot, env: {}, onHelmStarted }),
    );
    expect(started).toBe(3);
    expect(calls).toEqual([3]);
  });

  it("never calls it for an environment without helm boxes", async () => {
    const root = await tempRepo({
      "k8s/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
      "environment.toml": 'id = "plain"\n[[boxes]]\ntype = "manifests"\nchart = "k8s"\nname = "plain"\n',
    });
    const { started, calls } = await helmStarts((onHelmStarted) =>
      renderSpec({ file: "environment.toml", root, env: {}, onHelmStarted }),
    );
    expect(started).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe("manifests boxes", () => {
  it("read a directory of YAML files, interpolated in their string scalars", async () => {
    const root = await tempRepo({
      "k8s/a.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a-${PRBOX_PR}\ndata:\n  sha: ${PRBOX_SHORT_SHA}\n  port: '8080'\n",
      "k8s/b.yml":
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: b\nspec:\n  ports:\n    - port: 80\n---\n# an empty document is skipped\n",
      "k8s/notes.txt": "not a manifest",
      "environment.toml": '[[boxes]]\ntype = "manifests"\nchart = "k8s"\nname = "plain"\n',
    });
    const rendered = await renderSpec({ file: "environment.toml", root, pr: PR });
    expect(summary(rendered)).toEqual([
      `main plain ConfigMap/${rendered.environment.namespace}/a-42`,
      `main plain Service/${rendered.environment.namespace}/b`,
    ]);
    expect(rendered.objects[0]?.object.data).toEqual({ sha: "0123456", port: "8080" });
    expect((rendered.objects[1]?.object.spec as { ports: { port: unknown }[] }).ports[0]?.port).toBe(80);
  });

  it("refuse a document that is not a Kubernetes object", async () => {
    const root = await tempRepo({
      "k8s/a.yaml": "just: data\n",
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "manifests"\nchart = "k8s/a.yaml"\n',
    });
    const error = await rejection(renderSpec({ file: "environment.toml", root, env: {} }));
    expect(error.message).toBe("k8s/a.yaml contains a document without apiVersion and kind");
  });
});

describe("the namespace rules", () => {
  const manifests = (yaml: string) => ({
    "k8s/o.yaml": yaml,
    "environment.toml": 'namespace = "shop"\n[[boxes]]\ntype = "manifests"\nchart = "k8s"\nname = "m"\n',
  });

  it("refuse cluster-scoped kinds unless the operator allows the kind", async () => {
    const files = manifests(
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: admin-everything\nrules: []\n",
    );
    const root = await tempRepo(files);
    const error = await rejection(renderSpec({ file: "environment.toml", root, pr: PR }));
    expect(error.message).toBe(
      "ClusterRole admin-everything (k8s/o.yaml) is cluster-scoped; an environment may only contain namespaced objects",
    );
    const allowed = await renderSpec({
      file: "environment.toml",
      root,
      pr: PR,
      policy: { ...DEFAULT_RENDER_POLICY, allowKinds: ["ClusterRole"] },
    });
    expect(allowed.objects[0]?.object.metadata.namespace).toBeUndefined();
  });

  it("refuse a Namespace object", async () => {
    const root = await tempRepo(manifests("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: elsewhere\n"));
    await expect(renderSpec({ file: "environment.toml", root, pr: PR })).rejects.toThrow(
      "Namespace elsewhere (k8s/o.yaml) is cluster-scoped",
    );
  });

  it("refuse an object that names a foreign namespace", async () => {
    const root = await tempRepo(
      manifests("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: kube-system\n"),
    );
    const error = await rejection(renderSpec({ file: "environment.toml", root, pr: PR }));
    expect(error.message).toBe(
      "ConfigMap c (k8s/o.yaml) sets namespace kube-system, outside the environment's namespace shop-pr-42",
    );
  });

  it("refuse the same object rendered by two boxes", async () => {
    const root = await tempRepo({
      "k8s/o.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
      "environment.toml":
        '[[boxes]]\ntype = "manifests"\nchart = "k8s"\nname = "one"\n[[boxes]]\ntype = "manifests"\nchart = "k8s/o.yaml"\nname = "two"\n',
    });
    await expect(renderSpec({ file: "environment.toml", root, pr: PR })).rejects.toThrow(
      "ConfigMap c is rendered twice",
    );
  });
});

describe("the preview URL", () => {
  const ingress = (tls: boolean) =>
    `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n${tls ? "  tls: [{ hosts: [pr.example.com] }]\n" : ""}  rules:\n    - host: pr.example.com\n`;

  it("is the first Ingress host, https when the Ingress has TLS for it", async () => {
    for (const [tls, url] of [
      [true, "https://pr.example.com/"],
      [false, "http://pr.example.com/"],
    ] as const) {
      const root = await tempRepo({
        "k8s/i.yaml": ingress(tls),
        "environment.toml": 'id = "x"\n[[boxes]]\ntype = "manifests"\nchart = "k8s"\n',
      });
      expect((await renderSpec({ file: "environment.toml", root, env: {} })).environment.url).toBe(url);
    }
  });

  it("is the spec's url when it has one", async () => {
    const root = await tempRepo({
      "k8s/i.yaml": ingress(true),
      "environment.toml":
        'id = "x"\nurl = "https://custom.example.com"\n[[boxes]]\ntype = "manifests"\nchart = "k8s"\n',
    });
    expect((await renderSpec({ file: "environment.toml", root, env: {} })).environment.url).toBe(
      "https://custom.example.com",
    );
  });

  it("is null without url or Ingress", async () => {
    const root = await tempRepo({
      "k8s/c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
      "environment.toml": 'id = "x"\n[[boxes]]\ntype = "manifests"\nchart = "k8s"\n',
    });
    expect((await renderSpec({ file: "environment.toml", root, env: {} })).environment.url).toBeNull();
  });
});
