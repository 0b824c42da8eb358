// The corpus (malformed.test.ts) checks cases someone thought of; this checks generated ones:
// real payloads with fields removed, nulled or given another type, correctly signed, must never
// get a 5xx (5xx is kept for "could not store, please retry"), and a refused one stores nothing.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  githubBase,
  gitlabBase,
  prepare,
  redisDump,
  send,
  startWebhookServer,
  type Forge,
  type Json,
  type Server,
} from "./support.js";

const BASES: Record<Forge, { event: string; base: string }[]> = {
  github: [
    { event: "pull_request", base: "pull_request.opened" },
    { event: "pull_request", base: "pull_request.synchronize" },
    { event: "pull_request", base: "pull_request.closed" },
    { event: "issue_comment", base: "issue_comment.created" },
    { event: "check_suite", base: "check_suite.completed" },
    { event: "status", base: "status" },
  ],
  gitlab: [
    { event: "Merge Request Hook", base: "merge_request.open" },
    { event: "Merge Request Hook", base: "merge_request.update-push" },
    { event: "Merge Request Hook", base: "merge_request.merge" },
  ],
};

/** Every dotted path in a payload, objects and leaves. */
function paths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const here = prefix ? `${prefix}.${key}` : key;
    return [here, ...paths(inner, here)];
  });
}

/** Sets (undefined: removes) the value at `dotted`, when its parent is still an object. */
function mutate(payload: Json, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  const last = keys.pop() as string;
  let node: unknown = payload;
  for (const key of keys) node = typeof node === "object" && node !== null ? (node as Json)[key] : undefined;
  if (typeof node !== "object" || node === null || Array.isArray(node)) return;
  if (value === undefined) delete (node as Json)[last];
  else (node as Json)[last] = value;
}

const replacement = fc.constantFrom<unknown>(
  undefined,
  null,
  0,
  -1,
  1.5,
  "",
  "x",
  "main",
  true,
  [],
  {},
  [1, "a"],
  { id: "x" },
  "9".repeat(400),
);

function mutatedDelivery(forge: Forge) {
  return fc.constantFrom(...BASES[forge]).chain(({ event, base }) => {
    const original = forge === "github" ? githubBase(base) : gitlabBase(base);
    const edits = fc.array(fc.tuple(fc.constantFrom(...paths(original)), replacement), { minLength: 1, maxLength: 3 });
    return edits.map((list) => {
      const payload = structuredClone(original);
      for (const [dotted, value] of list) mutate(payload, dotted, value);
      // Shown as the edits, not the whole payload, when a counterexample is printed.
      return { event, payload, [fc.toStringMethod]: () => `${base} with ${JSON.stringify(list)}` };
    });
  });
}

describe("generated payloads at both edges", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startWebhookServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const forge of ["github", "gitlab"] as const) {
    it(`${forge}: a signed payload with fields removed or of another type gets 200 or 400, never a 5xx, and a 400 stores nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(mutatedDelivery(forge), async ({ event, payload }) => {
          const before = await redisDump(server.rt, server.prefix);
          const answer = await send(
            server.baseUrl,
            prepare(forge, { why: "generated", event, payload }, server.secrets),
          );
          expect([200, 400], answer.text).toContain(answer.status);
          if (answer.status === 400) expect(await redisDump(server.rt, server.prefix)).toEqual(before);
        }),
        { seed: 6_2026, numRuns: 250 },
      );
    });
  }
});
