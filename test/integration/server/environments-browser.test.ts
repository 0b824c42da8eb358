// The environments page in a real browser (Debian's chromium, driven by playwright-core): logged
// in through the basic auth prompt, at a phone's and a desktop's size. It checks what a person
// sees: the content, the layout (cards on the phone, a table on the desktop, never a sideways
// scroll), that the CSP lets the page's own stylesheet through, and takes screenshots.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { desiredState } from "../queue/support.js";
import { deployPreview, seed, startPageServer, TOKEN, type PageServer } from "./page-support.js";

// Browser globals for the functions that run in the page (the project compiles without the DOM lib).
declare const document: { scrollingElement: { scrollWidth: number } | null };
declare const window: { innerWidth: number };
declare function getComputedStyle(element: unknown): { display: string; backgroundColor: string };

const CHROMIUM = process.env.PRBOX_CHROMIUM ?? "/usr/bin/chromium";
const SHA = "3f2c9e1b7a8d4c6e5f0a1b2c3d4e5f6a7b8c9d0e";

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  expect(png.subarray(12, 16).toString("ascii")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("the environments page in a browser", () => {
  let server: PageServer;
  let browser: Browser;
  let shots: string;
  let readyId: string;
  let removePreview: (() => Promise<void>) | undefined;
  const repo = "acme/storefront";

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium; .ci/run does) or set PRBOX_CHROMIUM`,
      );
    }
    server = await startPageServer();
    const preview = await deployPreview({
      repo,
      pr: 42,
      branch: "feature/checkout-redesign",
      sha: SHA,
      url: "https://pr-42.preview.example.com",
    });
    readyId = preview.id;
    removePreview = preview.remove;
    await seed(
      server.rt,
      desiredState(readyId, {
        ref: { forge: "github", repo, pr: 42, target: "1" },
        branch: "feature/checkout-redesign",
        sha: SHA,
      }),
      { status: "ready" },
    );
    const failed =
      "deployment api is not ready: CrashLoopBackOff\nlast log lines:\n  Error: connect ECONNREFUSED 10.0.0.12:5432 (database not reachable from the preview namespace)";
    await seed(
      server.rt,
      desiredState(`${readyId}-b`, {
        ref: { forge: "github", repo, pr: 43, target: "1" },
        branch: "fix/a-very-long-branch-name-that-must-wrap-on-a-phone-screen",
        sha: "9".repeat(40),
      }),
      {
        status: "failed",
        error: failed,
      },
    );
    await seed(
      server.rt,
      desiredState(`${readyId}-c`, {
        ref: { forge: "github", repo, pr: 44, target: "1" },
        action: "wait",
        waitReason: "waiting for the label preview",
      }),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM });
    // PRBOX_PAGE_SHOTS=<dir> keeps the screenshots (docs/environments-page.png comes from there).
    shots = process.env.PRBOX_PAGE_SHOTS ?? (await mkdtemp(path.join(tmpdir(), "prbox-page-shots-")));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await removePreview?.();
    if (shots && !process.env.PRBOX_PAGE_SHOTS) await rm(shots, { recursive: true, force: true });
  });

  for (const [name, viewport, layout] of [
    ["a phone", { width: 390, height: 844 }, "block"],
    ["a small laptop", { width: 901, height: 700 }, "table-row"],
    ["a desktop", { width: 1280, height: 800 }, "table-row"],
  ] as const) {
    it(`shows every environment on ${name}, without sideways scrolling`, async () => {
      const context = await browser.newContext({
        viewport,
        deviceScaleFactor: 1,
        httpCredentials: { username: "ops", password: TOKEN },
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });

      const res = await page.goto(`${server.baseUrl}/environments`);

      expect(res?.status()).toBe(200);
      const row = page.locator(`tr[id="env-${readyId}"]`);
      await expect.poll(() => row.isVisible()).toBe(true);
      expect(await row.locator('td[data-label="Repository"]').innerText()).toContain(repo);
      expect(await row.getByRole("link", { name: "#42" }).getAttribute("href")).toBe(
        `https://github.com/${repo}/pull/42`,
      );
      expect(await row.getByRole("link", { name: "pr-42.preview.example.com" }).getAttribute("href")).toBe(
        "https://pr-42.preview.example.com",
      );
      expect(await row.locator(".state").innerText()).toBe("ready");
      expect(await page.locator(`tr[id="env-${readyId}-b"] .state`).innerText()).toBe("failed");
      expect(await page.locator(`tr[id="env-${readyId}-b"] summary`).innerText()).toBe(
        "deployment api is not ready: CrashLoopBackOff",
      );
      // The stylesheet applied (a CSP that blocked it would leave the badge unstyled) and the layout fits the screen.
      expect(await row.locator(".state").evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
        "rgb(218, 251, 225)",
      );
      expect(await row.evaluate((el) => getComputedStyle(el).display)).toBe(layout);
      const widths = await page.evaluate(() => ({
        scroll: document.scrollingElement?.scrollWidth ?? Infinity,
        inner: window.innerWidth,
      }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.inner);
      expect(problems).toEqual([]);

      const file = path.join(shots, `environments-${viewport.width}.png`);
      await page.screenshot({ path: file });
      expect(pngSize(await readFile(file))).toEqual(viewport);
      await context.close();
    });
  }
});
