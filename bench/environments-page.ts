// Environments page benchmark: how long /environments takes with 10 to 1000 environments in
// Redis, over HTTP through prbox's real server (loadConfig + createRuntime + startServer), and how
// much of it is Redis (listStates) and rendering. Needs redis-server; the cluster is a refused
// address (its notice is part of the page), so the figures leave out the one namespace list a real
// cluster answers. Prints medians; no assertion, machines are noisy.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config/config.js";
import { createLogger } from "../src/log.js";
import { createRuntime } from "../src/main/runtime.js";
import { startServer } from "../src/main/server.js";
import { gatherEnvironments, type PageSources } from "../src/server/environments-page.js";
import { renderEnvironmentsPage } from "../src/server/page-html.js";
import { freePort, startRedisServer } from "../test/setup/redis.js";
import { desiredState } from "../test/integration/queue/support.js";
import { medianTime } from "./lib/stats.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TOKEN = randomBytes(16).toString("hex");

const time = (fn: () => Promise<unknown>) => medianTime(fn, RUNS);

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const dir = await mkdtemp(path.join(os.tmpdir(), "prbox-bench-page-"));
  const kubeconfig = path.join(dir, "kubeconfig");
  const refused = `https://127.0.0.1:${await freePort()}`;
  await writeFile(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "${refused}" } }]\nusers: [{ name: u, user: {} }]\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\ncurrent-context: c\n`,
  );
  const port = await freePort();
  const env = {
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    PORT: String(port),
    PRBOX_REDIS_URL: redis.url,
    KUBECONFIG: kubeconfig,
    GITLAB_TOKEN: "t",
    GITLAB_WEBHOOK_SECRET: "s",
    PRBOX_PAGE_TOKEN: TOKEN,
  };
  const config = loadConfig(env);
  const rt = await createRuntime(config, createLogger({ level: "warn" }), env as NodeJS.ProcessEnv);
  const server = await startServer(rt);
  const sources: PageSources = {
    states: () => rt.store.listStates(),
    queueCounts: () => rt.queue.queueCounts(),
    clusterRecords: async () => [],
    forgeWebUrls: { github: "https://github.com", gitlab: "https://gitlab.com" },
  };
  try {
    console.log(
      "environments | listStates (ms) | gather (ms) | render (ms) | GET /environments (ms) | page size (KiB)",
    );
    let seeded = 0;
    for (const count of [10, 100, 1000]) {
      for (; seeded < count; seeded++) {
        const id = `acme-shop-pr-${seeded}`;
        await rt.store.updateDesired(id, () =>
          desiredState(id, { ref: { forge: "github", repo: "acme/shop", pr: seeded, target: "1" } }),
        );
      }
      const view = await gatherEnvironments(sources);
      const list = await time(() => rt.store.listStates());
      const gather = await time(() => gatherEnvironments(sources));
      const render = await time(async () => renderEnvironmentsPage(view));
      const get = await time(async () =>
        (
          await fetch(`http://127.0.0.1:${port}/environments`, { headers: { authorization: `Bearer ${TOKEN}` } })
        ).text(),
      );
      const size = Buffer.byteLength(renderEnvironmentsPage(view)) / 1024;
      console.log(
        `${count} | ${list.toFixed(2)} | ${gather.toFixed(2)} | ${render.toFixed(2)} | ${get.toFixed(2)} | ${size.toFixed(0)}`,
      );
    }
  } finally {
    await server.stop();
    await rt.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
