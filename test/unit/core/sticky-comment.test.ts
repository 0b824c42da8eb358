import { describe, expect, it } from "vitest";
import type { Forge, PullRequestRef } from "../../../src/core/forge.js";
import { fitComment, STICKY_MARKER, stickyBody, upsertStickyComment } from "../../../src/core/sticky-comment.js";
import { silentLogger } from "../../../src/log.js";

/** The comment calls of a forge, on comments kept in memory, each call written down. */
function commentsForge(initial: { id: string; body: string }[] = []) {
  const kept = new Map(initial.map((c) => [c.id, c.body]));
  const calls: string[] = [];
  let next = 100;
  const forge = {
    maxCommentLength: 65_536,
    async *comments() {
      calls.push("list");
      for (const [id, body] of kept)
        yield await Promise.resolve({ id, body, author: { id: "1", login: "prbox[bot]", bot: true } });
    },
    isOwnComment: () => Promise.resolve(true),
    createComment: (_ref: PullRequestRef, body: string) => {
      calls.push("create");
      const id = String(next++);
      kept.set(id, body);
      return Promise.resolve(id);
    },
    updateComment: (_ref: PullRequestRef, id: string, body: string) => {
      calls.push(`update ${id}`);
      if (!kept.has(id)) return Promise.reject(new Error("404 Not Found"));
      kept.set(id, body);
      return Promise.resolve();
    },
  };
  return { forge: forge as unknown as Forge, kept, calls };
}

const ref = { forge: "github", repo: "acme/shop", pr: 1 } as PullRequestRef;

describe("upsertStickyComment", () => {
  it("edits the comment an earlier report of the job wrote without listing the PR's comments", async () => {
    const { forge, kept, calls } = commentsForge();
    const first = await upsertStickyComment(forge, ref, "queued", silentLogger);
    const second = await upsertStickyComment(forge, ref, "ready", silentLogger, first);

    expect(calls).toEqual(["list", "create", `update ${first.id}`]);
    expect(second).toEqual({ id: first.id, body: `${STICKY_MARKER}\nready` });
    expect([...kept.values()]).toEqual([`${STICKY_MARKER}\nready`]);
  });

  it("looks for the comment again when the one written earlier is gone, and posts a new one", async () => {
    const { forge, kept, calls } = commentsForge();
    const first = await upsertStickyComment(forge, ref, "queued", silentLogger);
    kept.clear(); // someone deleted it

    const second = await upsertStickyComment(forge, ref, "ready", silentLogger, first);

    expect(calls).toEqual(["list", "create", `update ${first.id}`, "list", "create"]);
    expect(second.id).not.toBe(first.id);
    expect([...kept.values()]).toEqual([`${STICKY_MARKER}\nready`]);
  });

  it("writes nothing when the text is what the comment already says", async () => {
    const { forge, calls } = commentsForge([{ id: "7", body: `${STICKY_MARKER}\nready` }]);
    const found = await upsertStickyComment(forge, ref, "ready", silentLogger);
    await upsertStickyComment(forge, ref, "ready", silentLogger, found);

    expect(calls).toEqual(["list"]);
  });
});

describe("stickyBody", () => {
  it("puts the marker first, once", () => {
    expect(stickyBody("hello", 100)).toBe(`${STICKY_MARKER}\nhello`);
    expect(stickyBody(`${STICKY_MARKER}\nhello`, 100)).toBe(`${STICKY_MARKER}\nhello`);
  });

  it.each([65_536, 1_000_000])("cuts a body longer than %i characters to fit, closing the code block it cut", (max) => {
    const body = stickyBody(`logs:\n\`\`\`\n${"x".repeat(max + 10)}\n\`\`\``, max);

    expect(body.length).toBeLessThanOrEqual(max);
    expect(body.startsWith(`${STICKY_MARKER}\nlogs:\n\`\`\`\nxxx`)).toBe(true);
    expect(body).toMatch(/x\n```\n\n… \(cut: the full text is longer than the forge allows in a comment\)$/);
  });
});

describe("fitComment", () => {
  it("leaves a body that fits alone", () => {
    expect(fitComment("a".repeat(100), 100)).toBe("a".repeat(100));
  });

  it("adds no fence when the cut left none open", () => {
    const body = fitComment(`\`\`\`\ncode\n\`\`\`\n${"y".repeat(500)}`, 200);

    expect(body.length).toBeLessThanOrEqual(200);
    expect(body).toMatch(/y\n\n… \(cut: /);
  });
});
