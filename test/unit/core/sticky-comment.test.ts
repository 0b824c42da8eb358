import { describe, expect, it } from "vitest";
import { fitComment, STICKY_MARKER, stickyBody } from "../../../src/core/sticky-comment.js";

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
