// Sleep and wake on either forge (ADR 28): the sweep, with a clock moved ahead, puts an idle
// preview to sleep (Deployments at zero with their replicas remembered, the Ingress at the waking
// Service with its spec remembered, the sticky comment edited), and a push, /wake or a request to
// the waking page wakes it, restoring what sleep changed exactly. The real server, worker, Redis
// and test control plane (no ingress controller: the Ingress objects are what is checked, and the
// request is sent to prbox's server with the preview's Host header, as the controller would).
import { request } from "node:http";
import { describe, expect } from "vitest";
import type { ForgeName } from "../../../src/core/forge.js";
import { changed, newSha, previewRepo, type Files } from "../github/support/sources.js";
import { commandReply, lastEvent, openDeployed, pushReady, sweepAt } from "./flows.js";
import type { PipelineTest } from "./support/pipeline.js";
import { SHARED_PACE_TIMEOUT, usePipeline } from "./support/pipeline.js";

const HOUR = 3_600_000;
const WAKE_ADDRESS = "prbox.prbox-system.svc.cluster.local:3000";
const SLEEPING =
  /💤 sleeping since \w{3}, \d\d \w{3} \d{4} \d\d:\d\d UTC; push, comment `\/wake` or open <https:\/\/pr-\d+\.preview\.example\.com> to wake it\./;

/** What sleep changes and wake puts back: each Deployment's replicas and annotations, each Ingress as JSON. */
async function workloads(t: PipelineTest, pr: number) {
  const namespace = t.forge.namespace(pr);
  const deployments = (await t.kube.apps.listNamespacedDeployment({ namespace })).items;
  const ingresses = (await t.kube.networking.listNamespacedIngress({ namespace })).items;
  const services = (await t.kube.core.listNamespacedService({ namespace })).items;
  return {
    replicas: Object.fromEntries(deployments.map((d) => [d.metadata?.name, d.spec?.replicas])),
    remembered: Object.fromEntries(
      deployments.map((d) => [d.metadata?.name, d.metadata?.annotations?.["prbox.dev/sleep-replicas"]]),
    ),
    ingressSpecs: Object.fromEntries(ingresses.map((i) => [i.metadata?.name, JSON.stringify(i.spec)])),
    ingressAnnotations: Object.fromEntries(ingresses.map((i) => [i.metadata?.name, i.metadata?.annotations])),
    waking: services.find((s) => s.metadata?.name === "prbox-waking")?.spec ?? null,
  };
}

/**
 * The Ingress gets 3,000 paths: its spec (about 290 kB as JSON) fits the object, but not the
 * annotation sleep remembers it in (256 KiB for all of an object's annotations).
 */
function withHugeIngress(files: Files): Files {
  const values = files["ingress/values.yaml"];
  const routes = 'routes:\n  - path: /\n    service: "${FIRST_SERVICE_NAME}"\n';
  if (!values?.includes(routes)) throw new Error("ingress/values.yaml no longer has the routes this helper extends");
  const many = Array.from({ length: 3000 }, (_, i) => `  - path: /p${i}\n    service: "\${FIRST_SERVICE_NAME}"\n`);
  return changed(files, { set: { "ingress/values.yaml": values.replace(routes, routes + many.join("")) } });
}

/** Opens a PR, deploys it and puts it to sleep with the sweep 8 h after its last event; what it was awake. */
async function asleep(t: PipelineTest, pr: number) {
  await openDeployed(t, pr);
  const envId = t.forge.environmentId(pr);
  const awake = await workloads(t, pr);
  const start = await lastEvent(t, pr);
  expect(await sweepAt(t, envId, start + 8 * HOUR - 60_000)).toMatchObject({ slept: [] });
  expect(await sweepAt(t, envId, start + 8 * HOUR)).toMatchObject({ slept: [envId] });
  await t.until("the comment says the preview sleeps", () => SLEEPING.test(t.sticky(pr)), {
    state: () => t.sticky(pr),
  });
  await t.settled();
  const sleeping = await workloads(t, pr);
  // Scaled to zero, each Deployment remembering its replicas exactly.
  expect(Object.values(awake.replicas)).toEqual([1, 2]);
  expect(Object.values(sleeping.replicas)).toEqual([0, 0]);
  expect(sleeping.remembered).toEqual(
    Object.fromEntries(Object.entries(awake.replicas).map(([name, n]) => [name, String(n)])),
  );
  // Every backend is the waking Service, which points at prbox; the original spec is remembered as it was.
  const www = JSON.parse(sleeping.ingressSpecs.www ?? "{}") as { rules: { http: { paths: { backend: unknown }[] } }[] };
  const backends = www.rules.flatMap((rule) => rule.http.paths.map((path) => path.backend));
  expect(backends).toEqual([
    { service: { name: "prbox-waking", port: { number: 3000 } } },
    { service: { name: "prbox-waking", port: { number: 3000 } } },
  ]);
  expect(JSON.parse(sleeping.ingressAnnotations.www?.["prbox.dev/sleep-spec"] ?? "")).toEqual(
    JSON.parse(awake.ingressSpecs.www ?? ""),
  );
  expect(sleeping.waking).toMatchObject({ type: "ExternalName", externalName: "prbox.prbox-system.svc.cluster.local" });
  // A sweep later changes nothing: it sleeps already.
  expect(await sweepAt(t, envId, start + 9 * HOUR)).toMatchObject({ slept: [] });
  return { envId, awake };
}

/** After a wake: the comment is "ready" again and every object is back as it was, byte for byte. */
async function expectAwake(t: PipelineTest, pr: number, awake: Awaited<ReturnType<typeof workloads>>) {
  await t.until("the comment says ready again", () => t.sticky(pr).includes("✅ ready"), {
    state: () => t.sticky(pr),
  });
  await t.settled();
  const woken = await workloads(t, pr);
  expect(woken.replicas).toEqual(awake.replicas);
  expect(woken.remembered).toEqual(Object.fromEntries(Object.keys(awake.replicas).map((name) => [name, undefined])));
  expect(woken.ingressSpecs).toEqual(awake.ingressSpecs);
  expect(woken.ingressAnnotations).toEqual(awake.ingressAnnotations);
  expect(woken.waking).toBeNull();
}

/** A request to prbox's server as an ingress controller forwards one: the preview's Host header. */
function visit(t: PipelineTest, host: string, path = "/"): Promise<{ status: number; waking: boolean; body: string }> {
  const url = new URL(path, t.prbox.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, waking: res.headers["x-prbox-waking"] === "1", body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

export function sleepSuite(forge: ForgeName) {
  const it = usePipeline(forge, {
    env: { PRBOX_SLEEP_AFTER: "8h", PRBOX_IDLE_TTL: "72h", PRBOX_WAKE_ADDRESS: WAKE_ADDRESS },
  });

  describe.concurrent(`sleeping previews on ${forge}`, SHARED_PACE_TIMEOUT, () => {
    it("sleeps after 8 h without activity, stays asleep when its job runs again, and a push wakes and redeploys it", async ({
      t,
    }) => {
      const pr = 51;
      const { envId, awake } = await asleep(t, pr);
      const sticky = t.sticky(pr);
      // A reconcile that is no activity (a duplicate job, a resync) keeps it asleep, saying nothing new.
      await t.prbox.rt.queue.enqueueReconcile(envId);
      await t.settled();
      expect(t.sticky(pr)).toBe(sticky);
      expect(Object.values((await workloads(t, pr)).replicas)).toEqual([0, 0]);

      const sha = await pushReady(t, pr, await previewRepo());
      expect(t.sticky(pr)).toContain(sha.slice(0, 7));
      await expectAwake(t, pr, awake);
    });

    it("says so when a sleep fails (an Ingress too large to remember), and /wake wakes what had gone to sleep", async ({
      t,
    }) => {
      const pr = 54;
      const sha = newSha();
      await t.forge.push(sha, withHugeIngress(await previewRepo()));
      t.forge.open(pr, { ref: `feature/pr-${pr}`, sha });
      await t.deliver(t.forge.pullRequestEvent(pr, "opened"));
      await t.until("ready", () => t.sticky(pr).includes("✅ ready"), { state: () => t.sticky(pr) });
      await t.settled();
      const envId = t.forge.environmentId(pr);
      const awake = await workloads(t, pr);

      expect(await sweepAt(t, envId, (await lastEvent(t, pr)) + 8 * HOUR)).toMatchObject({ slept: [envId] });
      await t.until(
        "the comment says the sleep failed",
        () => t.sticky(pr).includes("putting the preview to sleep failed"),
        {
          state: () => t.sticky(pr),
        },
      );
      await t.settled();
      expect(t.sticky(pr)).toMatch(/annotations: Too long/);
      expect(t.sticky(pr)).toContain("comment `/wake` to wake it");
      // The workloads went to sleep before the Ingress could not: they run no pod, and the Ingress is as it was.
      const half = await workloads(t, pr);
      expect(Object.values(half.replicas)).toEqual([0, 0]);
      expect(half.ingressSpecs).toEqual(awake.ingressSpecs);

      t.forge.setRole("maintainer", "write");
      const wake = t.forge.comment(pr, "maintainer", "/wake");
      await t.deliver(t.forge.commentEvent(pr, wake));
      await expectAwake(t, pr, awake);
    });

    it("wakes on a writer's /wake, restoring the replicas and the Ingress byte for byte; a reader's is refused", async ({
      t,
    }) => {
      const pr = 52;
      const { envId, awake } = await asleep(t, pr);
      t.forge.setRole("visitor", "read");
      const refused = await commandReply(t, pr, "visitor", "/wake");
      expect(refused.reactions).toEqual(["-1"]);
      expect(refused.reply).toMatch(/^@visitor thanks! Only .* can run `\/wake`/);
      await t.settled();
      expect(t.sticky(pr)).toMatch(SLEEPING);
      expect((await t.prbox.rt.store.getDesired(envId))?.sleepSince).toBeTruthy();
      t.forge.setRole("maintainer", "write");
      const wake = t.forge.comment(pr, "maintainer", "/wake");
      await t.deliver(t.forge.commentEvent(pr, wake));
      expect(t.forge.reactionsOn(wake.id)).toEqual(["+1"]);
      await expectAwake(t, pr, awake);
    });

    it("wakes on a request to the waking page, which says only that it wakes up; other hosts are not its", async ({
      t,
    }) => {
      const pr = 53;
      const { envId, awake } = await asleep(t, pr);
      const host = `pr-${pr}.preview.example.com`;
      const eventAt = (await t.prbox.rt.store.getDesired(envId))?.eventAt;

      const stranger = await visit(t, "pr-9999.preview.example.com");
      expect(stranger).toMatchObject({ status: 404, waking: false });

      // The server reuses its list of sleeping hosts for 2 s: a request just before the sleep may have loaded it.
      const first = await t.until("the waking page answers", async () => {
        const answer = await visit(t, `${host}:443`, "/second/deep?x=1");
        return answer.waking ? answer : null;
      });
      expect(first.status).toBe(503);
      expect(first.body).toContain("Waking up");
      expect(first.body).not.toContain(host);
      expect(first.body).not.toContain(envId);
      // Many visits make one wake: the state changed once; the visit is activity, not a forge event.
      const again = await visit(t, host);
      expect([503, 404]).toContain(again.status);
      const desired = await t.prbox.rt.store.getDesired(envId);
      expect(desired?.sleepSince ?? null).toBeNull();
      expect(desired?.wokeAt).toBeTruthy();
      expect(desired?.eventAt).toBe(eventAt);

      await expectAwake(t, pr, awake);
      // Awake, its host is no longer the waking page's (once the 2 s list is renewed), and a late visit changes nothing.
      await t.until("the host is no longer a sleeping one", async () => (await visit(t, host)).status === 404);
      await t.settled();
      expect(t.sticky(pr)).toContain("✅ ready");
      expect((await t.prbox.rt.store.getDesired(envId))?.sleepSince ?? null).toBeNull();
    });
  });
}
