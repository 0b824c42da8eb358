// The resync's listing of GitHub (src/forges/github/listing.ts) against the fake GitHub: what it
// finds, and what it costs in requests (the figures in docs/reliability.md come from here).
import { generateKeyPairSync } from "node:crypto";
import { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubLister } from "../../../../src/forges/github/listing.js";
import { PrboxOctokit } from "../../../../src/forges/github/octokit.js";
import { noListingCache, type CachedPage, type ListingCache } from "../../../../src/forges/listing-cache.js";
import { createLogger, silentLogger } from "../../../../src/log.js";
import { startFakeGitHub, type FakeGitHub } from "../../../support/fake-github.js";

const INSTALLATION = 77;
const TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

/** A cache in memory: the Redis one keeps the same pages (test/pipeline/resync.suite.ts runs it). */
function memoryCache(): ListingCache & { size(): number } {
  const pages = new Map<string, CachedPage<unknown>>();
  return {
    get: async <T>(key: string) => (pages.get(key) as CachedPage<T> | undefined) ?? null,
    set: async <T>(key: string, page: CachedPage<T>) => void pages.set(key, page as CachedPage<unknown>),
    size: () => pages.size,
  };
}

const sha = (n: number) => n.toString(16).padStart(40, "0");

describe("GitHubLister", () => {
  let github: FakeGitHub;
  let probot: Probot;
  beforeEach(() => {
    github = startFakeGitHub({
      app: { id: "4242", slug: "prbox-preview", publicKey },
      installations: { [INSTALLATION]: TOKEN },
    });
    probot = new Probot({ appId: 4242, privateKey, log: createLogger({ level: "silent" }), Octokit: PrboxOctokit });
  });
  afterEach(() => github.stop());

  const listingRequests = () =>
    github.requests.filter(
      (r) => r.method === "GET" && /\/(app\/installations|installation\/repositories|pulls)\b/.test(r.url),
    );

  it("finds every open PR of every repository of every installation, with head, fork and installation", async () => {
    const shop = github.addRepository("acme/shop", INSTALLATION);
    const tools = github.addRepository("acme/tools", INSTALLATION);
    shop.openPullRequest(1, { ref: "feature/a", sha: sha(1) });
    shop.openPullRequest(2, { ref: "patch", sha: sha(2), fork: true, user: "contributor" });
    shop.openPullRequest(3, { ref: "old", sha: sha(3) });
    shop.closePullRequest(3, { merged: true });
    tools.openPullRequest(9, { ref: "feature/b", sha: sha(9) });

    const listing = await new GitHubLister(probot, noListingCache, silentLogger).listOpen();

    const found = listing.pulls.map((p) => ({
      repo: p.ref.repo,
      pr: p.ref.pr,
      target: p.ref.target,
      sha: p.head.sha,
      fork: p.head.fork,
      branch: p.head.branch,
    }));
    expect(found.sort((a, b) => `${a.repo}${a.pr}`.localeCompare(`${b.repo}${b.pr}`))).toEqual([
      { repo: "acme/shop", pr: 1, target: String(INSTALLATION), sha: sha(1), fork: false, branch: "feature/a" },
      { repo: "acme/shop", pr: 2, target: String(INSTALLATION), sha: sha(2), fork: true, branch: "patch" },
      { repo: "acme/tools", pr: 9, target: String(INSTALLATION), sha: sha(9), fork: false, branch: "feature/b" },
    ]);
    expect(listing.repositories).toBe(2);
    expect(
      listing.pulls.every((p) => p.updatedAt === shop.pulls.get(p.ref.pr)?.updated_at || p.ref.repo === "acme/tools"),
    ).toBe(true);
    github.assertNoProblems();
  });

  it("costs one request per 100 open PRs of a repository, plus two per installation; a second listing of nothing changed is all 304s", async () => {
    const shop = github.addRepository("acme/shop", INSTALLATION);
    for (let pr = 1; pr <= 250; pr++) shop.openPullRequest(pr, { ref: `feature/${pr}`, sha: sha(pr) });
    const cache = memoryCache();
    const lister = new GitHubLister(probot, cache, silentLogger);

    const first = await lister.listOpen();
    const firstRequests = listingRequests().length;
    const second = await lister.listOpen();
    const secondRequests = listingRequests().slice(firstRequests);

    expect(first.pulls).toHaveLength(250);
    // /app/installations, /installation/repositories, and 3 pages of /pulls (100 + 100 + 50).
    expect(first).toMatchObject({ requests: 5, notModified: 0 });
    expect(firstRequests).toBe(5);
    expect(second.pulls.map((p) => p.ref.pr).sort()).toEqual(first.pulls.map((p) => p.ref.pr).sort());
    expect(second).toMatchObject({ requests: 5, notModified: 5 });
    expect(secondRequests.map((r) => r.status)).toEqual([304, 304, 304, 304, 304]);

    // One push: GitHub embeds the repository (with its pushed_at) in every repository and PR
    // listing, so every page of that repository changes; only the installations' page is a 304.
    shop.pushToPullRequest(250, sha(1000));
    const third = await lister.listOpen();
    expect(third).toMatchObject({ requests: 5, notModified: 1 });
    expect(third.pulls.find((p) => p.ref.pr === 250)?.head.sha).toBe(sha(1000));
    github.assertNoProblems();
  });

  it("skips a repository GitHub cannot list and lists the others", async () => {
    github.addRepository("acme/broken", INSTALLATION);
    const shop = github.addRepository("acme/shop", INSTALLATION);
    shop.openPullRequest(1, { ref: "feature/a", sha: sha(1) });
    github.inject({
      method: "GET",
      path: /^\/repos\/acme\/broken\/pulls$/,
      answer: [502, { message: "Server Error" }],
      times: 100,
    });

    const listing = await new GitHubLister(probot, noListingCache, silentLogger).listOpen();

    expect(listing.pulls.map((p) => `${p.ref.repo}#${p.ref.pr}`)).toEqual(["acme/shop#1"]);
    expect(listing).toMatchObject({ repositories: 1, unlisted: ["acme/broken"] });
  });

  it("finds the installation of a repository it did not list, and answers null for one the App cannot see", async () => {
    github.addRepository("acme/shop", INSTALLATION);
    const lister = new GitHubLister(probot, noListingCache, silentLogger);

    expect(await lister.refFor("acme/shop", 4)).toEqual({
      forge: "github",
      repo: "acme/shop",
      pr: 4,
      target: String(INSTALLATION),
    });
    expect(await lister.refFor("acme/elsewhere", 4)).toBeNull();
  });
});
