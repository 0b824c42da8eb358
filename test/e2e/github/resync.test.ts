// The resync on GitHub: the shared suite (test/pipeline/resync.suite.ts), and the rule it shares
// with the sweep, shown with a fault only the fake GitHub injects: never delete on an API error.
import { expect, test } from "vitest";
import { namespaceExists } from "./support/cluster.js";
import { deleteKeys, installation, openDeployed, resyncSuite } from "../pipeline/resync.suite.js";

resyncSuite("github");

test(
  "leaves a namespace without a desired state alone while GitHub cannot say whether its PR is open",
  { timeout: 300_000 },
  async () => {
    const t = await installation("github");
    await openDeployed(t, 1);
    await t.settled();
    const envId = t.forge().environmentId(1);
    await deleteKeys(t.prbox.prefix);
    t.forge().close(1, { merged: false });
    await t.stop();
    // The list of open PRs answers (without #1); asking about #1 itself fails, retries included.
    t.github.inject({ method: "GET", path: /\/pulls\/1$/, answer: [502, { message: "Server Error" }], times: 1000 });

    await t.start({ PRBOX_RESYNC_INTERVAL: "1h" });

    const done = await t.until("the resync finished", () =>
      t.prbox
        .logs()
        .split("\n")
        .find((line) => line.includes('"resync done"')),
    );
    expect(JSON.parse(done)).toMatchObject({ unsure: expect.arrayContaining([envId]), condemned: 0, adopted: 0 });
    expect(t.github.requests.some((r) => r.url.endsWith("/pulls/1") && r.status === 502)).toBe(true);
    expect(await namespaceExists(t.kube, t.forge().namespace(1))).toBe(true);
    expect(await t.prbox.rt.store.getDesired(envId)).toBeNull();
    expect(t.sticky(1)).toContain("✅ ready");
  },
);
