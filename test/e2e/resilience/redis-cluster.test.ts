// prbox on a Redis Cluster (redis+cluster://, ADR 23): three masters on loopback, the whole life of
// a preview through the real server, worker, helm and API server. Every prbox key and BullMQ's
// carry the hash-tagged prefix, so they sit in one slot, on one node, and the multi-key scripts
// run there.
import { afterAll, expect } from "vitest";
import { namespaceExists } from "../github/support/cluster.js";
import { changed, previewRepo } from "../github/support/sources.js";
import { openDeployed, pushReady } from "../pipeline/flows.js";
import { usePipeline } from "../pipeline/support/pipeline.js";
import { redisCluster, type RedisClusterGroup } from "./support.js";

const PREFIX = "{prbox-cluster-test}";
let cluster: RedisClusterGroup | undefined;
// Registered before usePipeline's hooks, so it runs after prbox has stopped.
afterAll(() => cluster?.stop());
const it = usePipeline("github", async () => {
  cluster = await redisCluster();
  return { redisUrl: cluster.url, env: { PRBOX_REDIS_PREFIX: PREFIX } };
});

it("deploys, redeploys and deletes a preview with its state on a Redis Cluster, all of it in one slot", async ({
  t,
}) => {
  const redis = cluster;
  if (!redis) throw new Error("no Redis Cluster");
  const pr = 1;
  await openDeployed(t, pr);

  await pushReady(t, pr, changed(await previewRepo(), { remove: ["config/feature-flags.yaml"] }));

  const perNode = await redis.keysPerNode(`${PREFIX}:*`);
  expect(
    perNode.filter((n) => n > 0),
    `prbox's keys per node: ${perNode.join(", ")}`,
  ).toHaveLength(1);

  t.forge.close(pr, { merged: true });
  await t.deliver(t.forge.pullRequestEvent(pr, "closed"));
  await t.until("the namespace is gone", async () => !(await namespaceExists(t.kube, t.forge.namespace(pr))), {
    timeoutMs: 60_000,
  });
  await t.settled();
  expect(t.forge.stickyComments(pr)).toHaveLength(1);
});
