// The corpus of malformed webhooks (fixtures/malformed): every case is POSTed (or GETted) over
// HTTP to prbox's real server (Probot for GitHub, the GitLab route, both as src/main wires them),
// and must get the status fixtures/malformed/manifest.json names, leave Redis exactly as it was
// (every key under prbox's prefix, dumped) and call neither GitHub nor GitLab (both point at a
// local server that records what it is asked; nock is not used: it would hold back a request's
// body until it ended, and the oversized cases need to see an early answer). The worker is not
// started, so nothing a case queued could reach the cluster: an unchanged Redis means no job.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cases,
  manifest,
  prepare,
  redisDump,
  send,
  startWebhookServer,
  type Case,
  type Forge,
  type Server,
} from "./support.js";

describe("the corpus of malformed webhooks", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startWebhookServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("has a status in the manifest for every case file, and a case file for every status", () => {
    for (const forge of ["github", "gitlab"] as const) {
      expect(
        cases(forge)
          .map(([name]) => name)
          .sort(),
      ).toEqual(Object.keys(manifest[forge]).sort());
    }
  });

  /** The first, valid delivery of a duplicate case: stored and queued (so an unchanged Redis means something). */
  async function deliverValid(forge: Forge, c: Case, id: string): Promise<void> {
    const before = await redisDump(server.rt, server.prefix);
    expect((await send(server.baseUrl, prepare(forge, c, server.secrets, id))).status).toBe(200);
    expect(await redisDump(server.rt, server.prefix)).not.toEqual(before);
  }

  for (const forge of ["github", "gitlab"] as const) {
    for (const [name, c] of cases(forge)) {
      const status = manifest[forge][name];
      it(`${forge}/${name}: ${c.why} → ${status}, and Redis stays as it was`, async () => {
        const id = randomUUID();
        if (c.repeat) await deliverValid(forge, c, id);
        const before = await redisDump(server.rt, server.prefix);

        const answer = await send(server.baseUrl, prepare(forge, c, server.secrets, id));

        expect(answer.status, answer.text).toBe(status);
        if (c.answer) expect(answer.text).toContain(c.answer);
        if (c.bytes !== undefined)
          expect(answer.sent, "answered before the whole body was sent").toBeLessThan(answer.total);
        expect(await redisDump(server.rt, server.prefix)).toEqual(before);
        expect(server.forgeCalls).toEqual([]);
      });
    }
  }
});
