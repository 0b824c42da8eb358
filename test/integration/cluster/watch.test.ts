import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it, onTestFinished } from "vitest";
import { deployEnvironment } from "../../../src/cluster/index.js";
import type { ObjectRef } from "../../../src/cluster/refs.js";
import { watchObjects } from "../../../src/cluster/watch.js";
import { silentLogger, type Logger } from "../../../src/log.js";
import { cleanUp, deployment, environment, main, testCluster, uniqueName } from "../../support/cluster-fixtures.js";

const cluster = testCluster();

/** What one watch reported, and a way to wait for a report that matches. */
function recorder() {
  const seen: { ref: ObjectRef; object: KubernetesObject }[] = [];
  const waiting: { match: (o: KubernetesObject) => boolean; resolve: () => void }[] = [];
  return {
    seen,
    onChange: (ref: ObjectRef, object: KubernetesObject) => {
      seen.push({ ref, object });
      for (const w of waiting.filter((w) => w.match(object))) w.resolve();
    },
    /** Resolves once a reported object matches (the test's timeout ends a wait that never does). */
    until: (match: (o: KubernetesObject) => boolean) =>
      new Promise<void>((resolve) => {
        if (seen.some((s) => match(s.object))) resolve();
        else waiting.push({ match, resolve });
      }),
  };
}

async function twoDeployments() {
  const id = uniqueName("watch");
  onTestFinished(() => cleanUp(cluster, id));
  const env = environment({ id, objects: [main(deployment("api")), main(deployment("web"))] });
  const result = await deployEnvironment(cluster, env, { wait: false, timeoutMs: 60_000 });
  const ref = (name: string) => result.applied.find((r) => r.name === name) as ObjectRef;
  return { namespace: result.namespace, api: ref("api"), web: ref("web") };
}

function labelled(name: string, value: string) {
  return (o: KubernetesObject) => o.metadata?.name === name && o.metadata.labels?.mark === value;
}

/** A label set by someone else (a merge patch): a change the watch must report. */
async function mark(namespace: string, name: string, value: string): Promise<void> {
  const body = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace, labels: { mark: value } } };
  await cluster.objects.patch(body, undefined, undefined, "test", undefined, PatchStrategy.MergePatch);
}

describe("watching objects while waiting for them", () => {
  it("reports each object as it is now, then every change, to the object's own ref", async () => {
    const { namespace, api, web } = await twoDeployments();
    const both = recorder();
    const watch = watchObjects(cluster, [api, web], both.onChange, silentLogger);
    onTestFinished(() => watch.stop());

    await both.until((o) => o.metadata?.name === "api");
    await both.until((o) => o.metadata?.name === "web");
    await mark(namespace, "web", "one");
    await both.until(labelled("web", "one"));

    const last = both.seen.at(-1);
    expect(last?.ref).toBe(web);
    expect(both.seen.every((s) => s.ref.name === s.object.metadata?.name)).toBe(true);
  });

  it("reports nothing once stopped", async () => {
    const { namespace, api } = await twoDeployments();
    const stopped = recorder();
    const running = recorder();
    const first = watchObjects(cluster, [api], stopped.onChange, silentLogger);
    const second = watchObjects(cluster, [api], running.onChange, silentLogger);
    onTestFinished(() => second.stop());
    await stopped.until((o) => o.metadata?.name === "api");

    first.stop();
    await mark(namespace, "api", "after-stop");
    // The watch still open sees the change; the stopped one never does.
    await running.until(labelled("api", "after-stop"));
    expect(stopped.seen.some((s) => labelled("api", "after-stop")(s.object))).toBe(false);
  });

  it("gives up on a kind the cluster does not serve with a debug line, so the caller's polls carry on", async () => {
    const missing: ObjectRef = { apiVersion: "example.com/v1", kind: "Widget", namespace: "default", name: "w" };
    const nothing = recorder();
    let gaveUp: (message: string) => void = () => {};
    const said = new Promise<string>((resolve) => (gaveUp = resolve));
    const log: Logger = { ...silentLogger, debug: (_fields: object, message?: string) => gaveUp(message ?? "") };

    const watch = watchObjects(cluster, [missing], nothing.onChange, log);
    onTestFinished(() => watch.stop());

    expect(await said).toBe("could not watch; polling only");
    expect(nothing.seen).toEqual([]);
  });
});
