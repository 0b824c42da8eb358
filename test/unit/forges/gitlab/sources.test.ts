import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { PrboxError } from "../../../../src/errors.js";
import { GitLabForge } from "../../../../src/forges/gitlab/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { HOST, PROJECT, SHA, TOKEN, gitlabArchive, notFound, ref, testClient } from "./fixtures.js";

useStrictNock();

const ARCHIVE = `${PROJECT}/repository/archive.tar.gz`;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A scratch directory holding only `dest/`, so an escape shows as a sibling. */
async function scratch(): Promise<{ root: string; dest: string }> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), "prbox-gitlab-sources-")));
  dirs.push(root);
  const dest = path.join(root, "dest");
  await mkdir(dest);
  return { root, dest };
}

function archiveRequest() {
  return nock(HOST).get(ARCHIVE).query({ sha: SHA }).matchHeader("private-token", TOKEN);
}

async function failure(promise: Promise<unknown>): Promise<PrboxError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PrboxError);
  return error as PrboxError;
}

describe("GitLabForge.fetchSources", () => {
  it("downloads the project at the commit with the token and strips the top directory", async () => {
    const { dest } = await scratch();
    archiveRequest().reply(
      200,
      gitlabArchive("shop", SHA, [
        { path: "environment.toml", content: 'name = "shop"\n' },
        { path: "charts/", type: "Directory" },
        { path: "charts/values.yaml", content: "replicas: 2\n" },
        { path: "charts/current", type: "SymbolicLink", linkpath: "values.yaml" },
      ]),
      {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename="shop-${SHA}-${SHA}.tar.gz"`,
      },
    );

    await new GitLabForge(testClient()).fetchSources(ref, SHA, dest);

    expect((await readdir(dest)).sort()).toEqual(["charts", "environment.toml"]);
    expect(await readFile(path.join(dest, "charts/values.yaml"), "utf8")).toBe("replicas: 2\n");
    expect(await readFile(path.join(dest, "charts/current"), "utf8")).toBe("replicas: 2\n");
  });

  it("calls a 404 permanent: the commit is gone or the token cannot read the project", async () => {
    const { dest } = await scratch();
    archiveRequest().reply(404, notFound);

    const error = await failure(new GitLabForge(testClient()).fetchSources(ref, SHA, dest));

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe(
      "fetching the sources of acme/platform/shop@0123456: the commit is gone (force-pushed away?) or GITLAB_TOKEN cannot read the project (GitLab answered 404)",
    );
  });

  it("refuses an archive that climbs out with '..', naming the commit, and writes nothing outside", async () => {
    const { root, dest } = await scratch();
    archiveRequest().reply(
      200,
      gitlabArchive("shop", SHA, [{ path: "../../evil.sh", content: "#!/bin/sh\nrm -rf /\n" }]),
    );

    const error = await failure(new GitLabForge(testClient()).fetchSources(ref, SHA, dest));

    expect(error.kind).toBe("permanent");
    expect(error.message).toBe(
      `fetching the sources of acme/platform/shop@0123456: the archive entry shop-${SHA}-${SHA}/../../evil.sh climbs out of the repository with '..'`,
    );
    expect(await readdir(root)).toEqual(["dest"]);
    expect(existsSync(path.join(path.dirname(root), "evil.sh"))).toBe(false);
  });

  it("refuses an archive with a link to /etc/passwd", async () => {
    const { dest } = await scratch();
    archiveRequest().reply(
      200,
      gitlabArchive("shop", SHA, [{ path: "passwd", type: "SymbolicLink", linkpath: "/etc/passwd" }]),
    );

    const error = await failure(new GitLabForge(testClient()).fetchSources(ref, SHA, dest));

    expect(error.message).toBe(
      "fetching the sources of acme/platform/shop@0123456: the symbolic link passwd points outside the repository (to /etc/passwd)",
    );
    expect(existsSync(path.join(dest, "passwd"))).toBe(false);
  });

  it("refuses an archive over the configured size limit", async () => {
    const { dest } = await scratch();
    archiveRequest().reply(200, gitlabArchive("shop", SHA, [{ path: "video.mp4", content: Buffer.alloc(300 * 1024) }]));

    const error = await failure(
      new GitLabForge(testClient(), { limits: { maxBytes: 100 * 1024 } }).fetchSources(ref, SHA, dest),
    );

    expect(error.message).toBe(
      "fetching the sources of acme/platform/shop@0123456: the archive holds more than 0.1 MiB of files",
    );
  });

  it("calls a 429 transient, keeping GitLab's retry-after, and a 503 transient", async () => {
    const { dest } = await scratch();
    archiveRequest().reply(429, "Retry later", { "retry-after": "60", "content-type": "text/plain" });
    const limited = await failure(new GitLabForge(testClient()).fetchSources(ref, SHA, dest));
    expect(limited).toMatchObject({ kind: "transient", status: 429, retryAfterMs: 60_000 });
    expect(limited.message).toBe(
      "fetching the sources of acme/platform/shop@0123456: GitLab answered 429: Retry later",
    );

    archiveRequest().reply(503, "<html><body>GitLab is not responding</body></html>", { "content-type": "text/html" });
    const down = await failure(new GitLabForge(testClient()).fetchSources(ref, SHA, dest));
    expect(down).toMatchObject({
      kind: "transient",
      status: 503,
      message: "fetching the sources of acme/platform/shop@0123456: GitLab answered 503",
    });
  });

  it("follows no redirect, so the token goes nowhere else", async () => {
    const { dest } = await scratch();
    archiveRequest().reply(302, "", { location: "https://objects.example.net/archive.tar.gz" });

    const error = await failure(new GitLabForge(testClient()).fetchSources(ref, SHA, dest));

    expect(error).toMatchObject({ kind: "permanent", status: 302 });
    expect(error.hint).toContain("GITLAB_URL");
  });

  it("stops when the job is cancelled", async () => {
    const { dest } = await scratch();
    const controller = new AbortController();
    controller.abort();
    const forge = new GitLabForge(testClient());

    const error = await failure(forge.fetchSources(ref, SHA, dest, controller.signal));

    expect(error).toMatchObject({
      kind: "transient",
      message: "fetching the sources of acme/platform/shop@0123456: cancelled",
    });
  });
});
