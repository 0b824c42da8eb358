import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { PrboxError } from "../../../../src/errors.js";
import { GitHubForge } from "../../../../src/forges/github/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { githubArchive } from "../support/tarball.js";
import { API, SHA, TOKEN, notFound, ref, testBot, testOctokit } from "./fixtures.js";

useStrictNock();

const CODELOAD = "https://codeload.github.com";
const CODELOAD_TOKEN = "AABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A scratch directory holding only `dest/`, so an escape shows as a sibling. */
async function scratch(): Promise<{ root: string; dest: string }> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), "prbox-sources-")));
  dirs.push(root);
  const dest = path.join(root, "dest");
  await mkdir(dest);
  return { root, dest };
}

/** GitHub's answer to the tarball request: a 302 to codeload with a token in the query. */
function redirectToCodeload() {
  return nock(API)
    .get(`/repos/acme/shop/tarball/${SHA}`)
    .matchHeader("authorization", `token ${TOKEN}`)
    .reply(302, "", {
      location: `${CODELOAD}/acme/shop/legacy.tar.gz/${SHA}?token=${CODELOAD_TOKEN}`,
      "content-type": "text/html;charset=utf-8",
    });
}

function codeload() {
  return nock(CODELOAD, { badheaders: ["authorization"] })
    .get(`/acme/shop/legacy.tar.gz/${SHA}`)
    .query({ token: CODELOAD_TOKEN });
}

async function failure(promise: Promise<unknown>): Promise<PrboxError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PrboxError);
  return error as PrboxError;
}

describe("GitHubForge.fetchSources", () => {
  it("downloads the commit through codeload, without the token, and strips the top directory", async () => {
    const { dest } = await scratch();
    redirectToCodeload();
    codeload().reply(
      200,
      githubArchive("acme/shop", SHA, [
        { path: "environment.toml", content: 'name = "shop"\n' },
        { path: "charts/", type: "Directory" },
        { path: "charts/values.yaml", content: "replicas: 2\n" },
      ]),
      {
        "content-type": "application/x-gzip",
        "content-disposition": `attachment; filename=acme-shop-${SHA.slice(0, 7)}.tar.gz`,
      },
    );

    await new GitHubForge(testOctokit(), testBot).fetchSources(ref, SHA, dest);

    expect((await readdir(dest)).sort()).toEqual(["charts", "environment.toml"]);
    expect(await readFile(path.join(dest, "charts/values.yaml"), "utf8")).toBe("replicas: 2\n");
  });

  it("calls a 404 permanent: the commit is gone or the app cannot read the repository", async () => {
    const { dest } = await scratch();
    nock(API).get(`/repos/acme/shop/tarball/${SHA}`).reply(404, notFound);

    const error = await failure(new GitHubForge(testOctokit(), testBot).fetchSources(ref, SHA, dest));

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe(
      "fetching the sources of acme/shop@0123456: the commit is gone (force-pushed away?) or the GitHub App cannot read the repository (GitHub answered 404)",
    );
  });

  it("refuses an archive with a link to /etc/passwd, naming the commit, and writes nothing outside", async () => {
    const { root, dest } = await scratch();
    redirectToCodeload();
    codeload().reply(
      200,
      githubArchive("acme/shop", SHA, [{ path: "passwd", type: "SymbolicLink", linkpath: "/etc/passwd" }]),
    );

    const error = await failure(new GitHubForge(testOctokit(), testBot).fetchSources(ref, SHA, dest));

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe(
      "fetching the sources of acme/shop@0123456: the symbolic link passwd points outside the repository (to /etc/passwd)",
    );
    expect(await readdir(root)).toEqual(["dest"]);
    expect(existsSync(path.join(dest, "passwd"))).toBe(false);
  });

  it("refuses an archive over the configured size limit", async () => {
    const { dest } = await scratch();
    redirectToCodeload();
    // Zeros compress to a few hundred bytes: the mocked response arrives whole before prbox stops
    // reading. (Cancelling a mocked body mid-way trips an undici assertion inside nock's socket.)
    codeload().reply(200, githubArchive("acme/shop", SHA, [{ path: "video.mp4", content: Buffer.alloc(300 * 1024) }]));
    const forge = new GitHubForge(testOctokit(), testBot, { limits: { maxBytes: 100 * 1024 } });

    const error = await failure(forge.fetchSources(ref, SHA, dest));

    expect(error.message).toBe(
      "fetching the sources of acme/shop@0123456: the archive holds more than 0.1 MiB of files",
    );
    expect(existsSync(path.join(dest, "video.mp4"))).toBe(false);
  });

  it("calls a codeload 503 transient and never repeats its tokenized link", async () => {
    const { dest } = await scratch();
    redirectToCodeload();
    codeload().reply(503, "upstream timed out", { "retry-after": "30" });

    const error = await failure(new GitHubForge(testOctokit(), testBot).fetchSources(ref, SHA, dest));

    expect(error.kind).toBe("transient");
    expect(error.message).toBe("fetching the sources of acme/shop@0123456: GitHub answered 503: upstream timed out");
    expect(error).toMatchObject({ status: 503, retryAfterMs: 30_000 });
    expect(JSON.stringify({ ...error, message: error.message, hint: error.hint })).not.toContain(CODELOAD_TOKEN);
  });
});

describe("another repository's sources (a box's repository)", () => {
  it("refuses a path GitHub has no repository for (GitLab's group/subgroup/name) before asking GitHub", async () => {
    const forge = new GitHubForge(testOctokit(), testBot);
    const { dest } = await scratch();
    const error = await forge.fetchRepository(ref, "acme/platform/api", null, dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrboxError);
    expect((error as PrboxError).kind).toBe("permanent");
    expect((error as PrboxError).message).toBe(
      "acme/platform/api is no GitHub repository: GitHub names them owner/name",
    );
    expect(await readdir(dest)).toEqual([]);
  });
});
