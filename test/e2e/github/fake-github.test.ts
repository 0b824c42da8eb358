// The fake GitHub the end-to-end tests stand on: strict where GitHub is, and never silent.
import { generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Probot, ProbotOctokit } from "probot";
import { createLogger } from "../../../src/log.js";
import { startFakeGitHub, type FakeGitHub, type FakeRepository } from "../../support/fake-github.js";

const TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

function installationOctokit(token = TOKEN): InstanceType<typeof ProbotOctokit> {
  return new ProbotOctokit({ auth: { token }, retry: { enabled: false }, throttle: { enabled: false } });
}

describe("the fake GitHub", () => {
  let github: FakeGitHub;
  let repo: FakeRepository;
  beforeEach(() => {
    github = startFakeGitHub({ app: { id: "4242", slug: "prbox-preview", publicKey }, installations: { 77: TOKEN } });
    repo = github.addRepository("acme/shop", 77);
    repo.openPullRequest(1, { ref: "feature", sha: "a".repeat(40) });
  });
  afterEach(() => github.stop());

  it("records a request it has no route for as a problem instead of answering it quietly", async () => {
    const answer = await installationOctokit()
      .request("GET /repos/{owner}/{repo}/check-runs/{id}", { owner: "acme", repo: "shop", id: 1 })
      .catch((e: { status: number }) => e);
    expect(answer.status).toBe(501);
    expect(() => github.assertNoProblems()).toThrow(
      /no route for GET https:\/\/api.github.com\/repos\/acme\/shop\/check-runs\/1/,
    );
  });

  it("refuses an unknown token with 401 and a repository outside the installation with 404, both as problems", async () => {
    await expect(
      installationOctokit("ghs_wrong").rest.pulls.get({ owner: "acme", repo: "shop", pull_number: 1 }),
    ).rejects.toMatchObject({ status: 401 });
    await expect(
      installationOctokit().rest.pulls.get({ owner: "acme", repo: "other", pull_number: 1 }),
    ).rejects.toMatchObject({ status: 404 });
    expect(github.problems).toHaveLength(2);
  });

  it("records a request to any other host", async () => {
    await expect(fetch("https://example.com/")).rejects.toThrow();
    expect(() => github.assertNoProblems()).toThrow(/host nobody fakes: GET https:\/\/example.com\//);
  });

  it("issues installation tokens only for a JWT signed with the app's key", async () => {
    const app = (key: string) => new Probot({ appId: 4242, privateKey: key, log: createLogger({ level: "silent" }) });
    const octokit = await app(privateKey).auth(77);
    await expect(octokit.rest.pulls.get({ owner: "acme", repo: "shop", pull_number: 1 })).resolves.toMatchObject({
      status: 200,
    });
    expect(github.credentials).toContain(TOKEN);
    github.assertNoProblems();

    const other = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const forged = await app(other.privateKey).auth(77);
    await expect(forged.rest.pulls.get({ owner: "acme", repo: "shop", pull_number: 1 })).rejects.toMatchObject({
      status: 401,
    });
  });

  it("pages issue comments the way Octokit's paginate follows them", async () => {
    for (let i = 0; i < 150; i++) repo.comment(1, "octocat", `comment ${i}`);
    const octokit = installationOctokit();
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner: "acme",
      repo: "shop",
      issue_number: 1,
      per_page: 100,
    });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 150 }, (_, i) => `comment ${i}`));
    expect(github.requests.filter((r) => r.method === "GET")).toHaveLength(2);
    github.assertNoProblems();
  });

  it("answers 422 to what GitHub validates (a status on an unknown commit, a description over 140 characters)", async () => {
    const octokit = installationOctokit();
    await expect(
      octokit.rest.repos.createCommitStatus({ owner: "acme", repo: "shop", sha: "b".repeat(40), state: "success" }),
    ).rejects.toMatchObject({ status: 422 });
    await repo.push("a".repeat(40), { "README.md": "hi\n" });
    await expect(
      octokit.rest.repos.createCommitStatus({
        owner: "acme",
        repo: "shop",
        sha: "a".repeat(40),
        state: "success",
        description: "x".repeat(141),
      }),
    ).rejects.toMatchObject({ status: 422 });
    expect(github.problems).toHaveLength(2);
  });
});
