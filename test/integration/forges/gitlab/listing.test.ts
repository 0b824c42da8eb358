// The resync's listing of GitLab (src/forges/gitlab/listing.ts) against the fake GitLab and the
// real Redis: which projects it lists, what it finds, what it costs in requests (the figures in
// docs/reliability.md come from here).
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createGitLabClient } from "../../../../src/forges/gitlab/client.js";
import { GitLabLister, redisProjectMemory } from "../../../../src/forges/gitlab/listing.js";
import { silentLogger } from "../../../../src/log.js";
import { GITLAB_URL, startFakeGitLab, type FakeGitLab } from "../../../support/fake-gitlab.js";

const TOKEN = "glpat-Xq3vR8sK2mT9wZ4yB7nD";
const sha = (n: number) => n.toString(16).padStart(40, "0");

describe("GitLabLister", () => {
  let redis: Redis;
  let gitlab: FakeGitLab;
  let prefix: string;
  beforeAll(() => {
    redis = new Redis(inject("redisUrl"));
  });
  afterAll(() => redis.disconnect());
  beforeEach(() => {
    gitlab = startFakeGitLab({ token: TOKEN });
    prefix = `listing-${randomBytes(3).toString("hex")}`;
  });
  afterEach(async () => {
    gitlab.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  const lister = (operator: string[] = []) =>
    new GitLabLister(
      createGitLabClient({ url: GITLAB_URL, token: TOKEN }),
      redisProjectMemory(redis, prefix),
      operator,
      silentLogger,
    );
  const mergeRequestLists = () => gitlab.requests.filter((r) => r.method === "GET" && /\/merge_requests\?/.test(r.url));

  it("lists the projects prbox knows of, remembers them for the next run, and finds their open MRs with head and fork", async () => {
    const shop = gitlab.addProject("acme/shop");
    const unknown = gitlab.addProject("acme/never-asked");
    shop.openMergeRequest(1, { ref: "feature/a", sha: sha(1) });
    shop.openMergeRequest(2, { ref: "patch", sha: sha(2), fork: true });
    shop.openMergeRequest(3, { ref: "old", sha: sha(3) });
    shop.closeMergeRequest(3, { merged: true });
    unknown.openMergeRequest(1, { ref: "x", sha: sha(9) });

    const listing = await lister().listOpen([{ forge: "gitlab", repo: "acme/shop", pr: 3, target: String(shop.id) }]);
    const again = await lister().listOpen([]);

    const found = (l: typeof listing) =>
      l.pulls
        .map((p) => ({ ...p.ref, sha: p.head.sha, fork: p.head.fork, branch: p.head.branch }))
        .sort((a, b) => a.pr - b.pr);
    expect(found(listing)).toEqual([
      {
        forge: "gitlab",
        repo: "acme/shop",
        pr: 1,
        target: String(shop.id),
        sha: sha(1),
        fork: false,
        branch: "feature/a",
      },
      { forge: "gitlab", repo: "acme/shop", pr: 2, target: String(shop.id), sha: sha(2), fork: true, branch: "patch" },
    ]);
    expect(found(again)).toEqual(found(listing));
    expect(gitlab.requests.some((r) => r.url.includes(`/projects/${unknown.id}/`))).toBe(false);
    gitlab.assertNoProblems();
  });

  it("lists a project of PRBOX_RESYNC_GITLAB_PROJECTS by its path, and finds a project's id for a namespace record", async () => {
    const tools = gitlab.addProject("acme/tools");
    tools.openMergeRequest(4, { ref: "feature/b", sha: sha(4) });

    const listing = await lister(["acme/tools"]).listOpen([]);

    expect(listing.pulls.map((p) => p.ref)).toEqual([
      { forge: "gitlab", repo: "acme/tools", pr: 4, target: String(tools.id) },
    ]);
    expect(await lister().refFor("acme/tools", 7)).toEqual({
      forge: "gitlab",
      repo: "acme/tools",
      pr: 7,
      target: String(tools.id),
    });
    expect(await lister().refFor("acme/gone", 7)).toBeNull();
    gitlab.assertNoProblems();
  });

  it("costs one request per 100 open MRs of a project", async () => {
    const shop = gitlab.addProject("acme/shop");
    for (let iid = 1; iid <= 250; iid++) shop.openMergeRequest(iid, { ref: `feature/${iid}`, sha: sha(iid) });

    const listing = await lister().listOpen([{ forge: "gitlab", repo: "acme/shop", pr: 1, target: String(shop.id) }]);

    expect(listing.pulls).toHaveLength(250);
    expect(mergeRequestLists()).toHaveLength(3);
    expect(listing).toMatchObject({ repositories: 1, requests: 3, notModified: 0 });
    gitlab.assertNoProblems();
  });
});
