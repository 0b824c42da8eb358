import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { PrboxError } from "../../../src/errors.js";
import { connectRedis, startReconcileWorker } from "../../../src/queue/index.js";
import type { EnvironmentsView, PageEnvironment } from "../../../src/server/environments-page.js";
import { desiredState, gate, waitFor } from "../queue/support.js";
import { freePort, startRedisServer } from "../../setup/redis.js";
import {
  basic,
  bearer,
  deployPreview,
  kubeconfigFor,
  seed,
  silentServer,
  startPageServer,
  TOKEN,
  type PageServer,
} from "./page-support.js";

const SHA = "3f2c9e1b7a8d4c6e5f0a1b2c3d4e5f6a7b8c9d0e";

async function view(server: PageServer): Promise<EnvironmentsView> {
  const res = await server.get("/environments.json", bearer());
  expect(res.status).toBe(200);
  return (await res.json()) as EnvironmentsView;
}

function find(v: EnvironmentsView, id: string): PageEnvironment {
  const env = v.environments.find((e) => e.id === id);
  if (!env)
    throw new Error(`environment ${id} is not on the page (it shows ${v.environments.map((e) => e.id).join(", ")})`);
  return env;
}

describe("the environments page on prbox's server", () => {
  let server: PageServer;
  beforeAll(async () => {
    server = await startPageServer();
  });
  afterAll(() => server?.stop());

  it("refuses a request without the token, or with a wrong one, with a basic auth challenge", async () => {
    const answers = await Promise.all([
      server.get("/environments"),
      server.get("/environments", bearer("page-not-the-right-token-0000")),
      server.get("/environments", basic("ops", "page-not-the-right-token-0000")),
      server.get("/environments", basic(TOKEN, "")),
      server.get("/environments", `Token ${TOKEN}`),
      server.get("/environments.json"),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Basic realm="prbox", charset="UTF-8"');
      expect(await res.text()).not.toContain("<table");
    }
  });

  it("serves the page with the bearer token and with basic auth under any user name", async () => {
    for (const authorization of [bearer(), basic("ops", TOKEN), basic("", TOKEN), basic("anyone at all", TOKEN)]) {
      const res = await server.get("/environments", authorization);
      expect(res.status, authorization).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*';/);
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      const body = await res.text();
      expect(body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(body).not.toMatch(/<script|<link|src=/i);
    }
    // Probot logs every request with its headers: the token must show in neither form.
    expect(server.logs()).toContain("GET /environments 200");
    expect(server.logs()).not.toContain(TOKEN);
    expect(server.logs()).not.toContain(basic("ops", TOKEN).slice("Basic ".length));
  });

  it("shows every live environment: repository, PR link, commit, state, age, preview link and last error", async () => {
    const repo = `acme/shop-${Date.now().toString(36)}`;
    const { id: readyId, remove } = await deployPreview({
      repo,
      pr: 7,
      branch: "feature/cart",
      sha: SHA,
      url: "https://pr-7.preview.example.com",
    });
    onTestFinished(remove);
    await seed(
      server.rt,
      desiredState(readyId, { ref: { forge: "github", repo, pr: 7, target: "1" }, branch: "feature/cart", sha: SHA }),
      { status: "ready" },
    );
    const error = "deployment web is not ready: ImagePullBackOff\n  image registry.example.com/web:broken not found";
    await seed(
      server.rt,
      desiredState(`${repo}-failed`.replace("/", "-"), {
        ref: { forge: "github", repo, pr: 8, target: "1" },
        branch: "fix/db",
        sha: "b".repeat(40),
      }),
      {
        status: "failed",
        error,
      },
    );
    await seed(
      server.rt,
      desiredState(`${repo}-wait`.replace("/", "-"), {
        ref: { forge: "github", repo, pr: 9, target: "1" },
        action: "wait",
        waitReason: "waiting for the label preview",
      }),
    );
    await seed(
      server.rt,
      desiredState(`${repo}-gone`.replace("/", "-"), {
        ref: { forge: "github", repo, pr: 10, target: "1" },
        action: "destroy",
        closed: true,
      }),
      {
        sha: null,
        status: "destroyed",
      },
    );

    const v = await view(server);

    expect(v.notices).toEqual([]);
    expect(find(v, readyId)).toMatchObject({
      repo,
      pr: 7,
      prUrl: `https://github.com/${repo}/pull/7`,
      branch: "feature/cart",
      sha: SHA,
      state: "ready",
      previewUrl: "https://pr-7.preview.example.com",
      namespace: readyId,
      lastError: null,
      clusterOnly: false,
    });
    expect(Date.parse(find(v, readyId).deployedAt ?? "")).toBeGreaterThan(Date.now() - 600_000);
    expect(find(v, `${repo}-failed`.replace("/", "-"))).toMatchObject({
      pr: 8,
      state: "failed",
      lastError: error,
      previewUrl: null,
    });
    expect(find(v, `${repo}-wait`.replace("/", "-"))).toMatchObject({
      pr: 9,
      state: "waiting",
      reason: "waiting for the label preview",
    });
    expect(v.environments.map((e) => e.pr)).not.toContain(10);

    const page = await (await server.get("/environments", bearer())).text();
    const row = page.slice(
      page.indexOf(`<tr id="env-${readyId}">`),
      page.indexOf("</tr>", page.indexOf(`<tr id="env-${readyId}">`)),
    );
    expect(row).toContain(`>${repo}<`);
    expect(row).toContain(`<a href="https://github.com/${repo}/pull/7" rel="noopener noreferrer">#7</a>`);
    expect(row).toContain(`<code title="${SHA}">3f2c9e1</code>`);
    expect(row).toContain('<span class="state state-ready">ready</span>');
    expect(row).toMatch(/<time datetime="[^"]+" title="[^"]+">\d+s<\/time>/);
    expect(row).toContain(
      '<a href="https://pr-7.preview.example.com" rel="noopener noreferrer">pr-7.preview.example.com</a>',
    );
    expect(page).toContain("deployment web is not ready: ImagePullBackOff");
    expect(page).toContain("waiting for the label preview");
  });

  it("escapes what pull requests control: branch names, spec names, wait reasons and errors", async () => {
    const hostile = "<script>alert(1)</script>";
    const id = `hostile-${Date.now().toString(36)}`;
    await seed(
      server.rt,
      desiredState(id, { ref: { forge: "github", repo: "acme/x", pr: 66, target: "1" }, branch: `feat/${hostile}` }),
      {
        status: "failed",
        error: `"><img src=x onerror=alert(2)> ${hostile}`,
      },
    );

    const page = await (await server.get("/environments", bearer())).text();

    expect(page).not.toMatch(/<script|<img/i);
    expect(page).toContain("feat/&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("&quot;&gt;&lt;img src=x onerror=alert(2)&gt; &lt;script&gt;");
  });

  it("counts the queue's waiting, active and failed jobs", async () => {
    const worker = await connectRedis(inject("redisUrl"), { role: "worker" });
    const hold = gate();
    const reconciler = await startReconcileWorker({
      connection: worker,
      prefix: server.rt.config.redisPrefix,
      concurrency: 1,
      handler: async (envId) => {
        if (envId.startsWith("fail")) throw new PrboxError("the spec is invalid", { kind: "permanent" });
        await hold.promise;
      },
    });
    onTestFinished(async () => {
      hold.open();
      await reconciler.close();
      worker.disconnect();
    });
    const counts = async () => (await view(server)).queue;

    await server.rt.queue.enqueueReconcile("fail-1", { delayMs: 0 });
    await waitFor("the first job failed", async () => (await counts())?.failed === 1);
    await server.rt.queue.enqueueReconcile("hold-1", { delayMs: 0 });
    await waitFor("the second job runs", async () => (await counts())?.active === 1);
    await server.rt.queue.enqueueReconcile("wait-1", { delayMs: 0 });
    await server.rt.queue.enqueueReconcile("wait-2", { delayMs: 0 });
    await server.rt.queue.enqueueReconcile("wait-3");

    expect(await counts()).toEqual({ waiting: 3, active: 1, failed: 1 });
    const page = await (await server.get("/environments", bearer())).text();
    expect(page).toContain("<li><b>3</b>waiting</li>\n<li><b>1</b>active</li>\n<li><b>1</b>failed</li>");
  });

  it("leaves other paths and methods to the rest of the server", async () => {
    expect((await server.get("/healthz")).status).toBe(200);
    const post = await fetch(`${server.baseUrl}/environments`, {
      method: "POST",
      headers: { authorization: bearer() },
    });
    expect(post.status).toBe(404);
  });
});

describe("the environments page when it is off", () => {
  it("answers 404 without PRBOX_PAGE_TOKEN and says so once in the log", async () => {
    const server = await startPageServer({ token: null });
    onTestFinished(() => server.stop());

    for (const p of ["/environments", "/environments.json"]) {
      const res = await server.get(p, bearer());
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("PRBOX_PAGE_TOKEN");
    }
    expect(server.logs().match(/environments page off/g)).toHaveLength(1);
  });
});

describe("the environments page when a source does not answer", () => {
  it("shows what Redis knows, with a notice, when the cluster refuses connections", async () => {
    const kubeconfig = await kubeconfigFor(`https://127.0.0.1:${await freePort()}`);
    const server = await startPageServer({ kubeconfig: kubeconfig.path });
    onTestFinished(async () => {
      await server.stop();
      await kubeconfig.remove();
    });
    await seed(
      server.rt,
      desiredState("acme-shop-pr-5", { ref: { forge: "github", repo: "acme/shop", pr: 5, target: "1" } }),
      { status: "ready" },
    );

    const res = await server.get("/environments", basic("ops", TOKEN));

    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toMatch(
      /<p class="notice" role="status">The Kubernetes cluster did not answer \(cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: connection refused/,
    );
    expect(page).toContain('<tr id="env-acme-shop-pr-5">');
    expect(page).toContain('<span class="state state-ready">ready</span>');
  });

  it("stops waiting for a cluster that hangs, and says so", async () => {
    const hanging = await silentServer();
    const kubeconfig = await kubeconfigFor(hanging.url);
    const server = await startPageServer({ kubeconfig: kubeconfig.path });
    onTestFinished(async () => {
      await server.stop();
      await hanging.stop();
      await kubeconfig.remove();
    });
    await seed(
      server.rt,
      desiredState("acme-shop-pr-6", { ref: { forge: "github", repo: "acme/shop", pr: 6, target: "1" } }),
    );

    const v = await view(server);

    expect(v.notices).toEqual([
      "The Kubernetes cluster did not answer (no answer within 2000 ms); preview links and deploy times are missing.",
    ]);
    expect(find(v, "acme-shop-pr-6")).toMatchObject({ state: "queued", previewUrl: null });
  });

  it("still answers, with notices, when Redis is gone", async () => {
    const redis = await startRedisServer();
    const kubeconfig = await kubeconfigFor(`https://127.0.0.1:${await freePort()}`);
    const server = await startPageServer({ redisUrl: redis.url, kubeconfig: kubeconfig.path });
    onTestFinished(async () => {
      await server.stop();
      await redis.stop();
      await kubeconfig.remove();
    });
    await redis.stop();

    const res = await server.get("/environments", bearer());

    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(
      "Redis did not give the environments&#39; records (cannot reach Redis at redis://127.0.0.1:",
    );
    expect(page).toContain("Redis did not give the queue&#39;s counts");
    expect(page).toContain("No live environments.");
    expect(page).not.toContain('class="queue"');
  });
});

describe("the environments page of a GitLab-only installation", () => {
  it("is served by the plain HTTP server with the same token rules, linking merge requests", async () => {
    const server = await startPageServer({ forge: "gitlab" });
    onTestFinished(() => server.stop());
    await seed(
      server.rt,
      desiredState("group-app-mr-12", { ref: { forge: "gitlab", repo: "group/sub/app", pr: 12, target: "77" } }),
      { status: "ready" },
    );

    expect((await server.get("/environments")).status).toBe(401);
    const v = await view(server);
    expect(find(v, "group-app-mr-12")).toMatchObject({
      prUrl: "https://gitlab.example.com/group/sub/app/-/merge_requests/12",
      state: "ready",
    });
    const page = await (await server.get("/environments", basic("me", TOKEN))).text();
    expect(page).toContain(
      '<a href="https://gitlab.example.com/group/sub/app/-/merge_requests/12" rel="noopener noreferrer">!12</a>',
    );
  });
});
