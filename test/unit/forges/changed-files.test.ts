// Forge.changedFiles on both forges, against the REST answers GitHub ("List pull requests files")
// and GitLab ("List merge request diffs") document.
import nock from "nock";
import { describe, expect, it } from "vitest";
import { GitHubForge } from "../../../src/forges/github/forge.js";
import { GitLabForge } from "../../../src/forges/gitlab/forge.js";
import { useStrictNock } from "../../support/nock.js";
import { API, ref as githubRef, testBot, testOctokit } from "./github/fixtures.js";
import { HOST, MR, ref as gitlabRef, testClient } from "./gitlab/fixtures.js";

useStrictNock();

function githubFile(filename: string, previous?: string): Record<string, unknown> {
  return {
    sha: "bbcd538c8e72b8c175046e27cc8f907076331401",
    filename,
    status: previous ? "renamed" : "modified",
    additions: 103,
    deletions: 21,
    changes: 124,
    blob_url: `https://github.com/acme/shop/blob/6dcb09b5b57875f334f61aebed695e2e4193db5e/${filename}`,
    raw_url: `https://github.com/acme/shop/raw/6dcb09b5b57875f334f61aebed695e2e4193db5e/${filename}`,
    contents_url: `${API}/repos/acme/shop/contents/${filename}?ref=6dcb09b5b57875f334f61aebed695e2e4193db5e`,
    patch: "@@ -132,7 +132,7 @@ module Test @@ -1000,7 +1000,7 @@ module Test",
    ...(previous ? { previous_filename: previous } : {}),
  };
}

function gitlabDiff(newPath: string, oldPath = newPath): Record<string, unknown> {
  return {
    old_path: oldPath,
    new_path: newPath,
    a_mode: "100644",
    b_mode: "100644",
    diff: "@@ -1 +1 @@\n-old\n+new\n",
    new_file: false,
    renamed_file: oldPath !== newPath,
    deleted_file: false,
    generated_file: false,
  };
}

describe("Forge.changedFiles", () => {
  it("lists a GitHub PR's files page by page, a renamed file under both names", async () => {
    const files = "/repos/acme/shop/pulls/42/files";
    nock(API)
      .get(files)
      .query({ per_page: "100" })
      .reply(200, [githubFile("src/app.ts"), githubFile("docs/new.md", "src/old.md")], {
        link: `<${API}${files}?per_page=100&page=2>; rel="next", <${API}${files}?per_page=100&page=2>; rel="last"`,
      })
      .get(files)
      .query({ per_page: "100", page: "2" })
      .reply(200, [githubFile("README.md")]);

    expect(await new GitHubForge(testOctokit(), testBot).changedFiles(githubRef)).toEqual({
      paths: ["src/app.ts", "docs/new.md", "src/old.md", "README.md"],
      complete: true,
    });
  });

  it("lists a GitLab merge request's diffs page by page, a renamed file under both names", async () => {
    const diffs = `${MR}/diffs`;
    nock(HOST)
      .get(diffs)
      .query(true)
      .reply(200, [gitlabDiff("src/app.ts"), gitlabDiff("docs/new.md", "src/old.md")], {
        "x-next-page": "2",
        "x-page": "1",
        "x-per-page": "2",
        "x-total-pages": "2",
        link: `<${HOST}${diffs}?page=2&per_page=100>; rel="next"`,
      })
      .get(diffs)
      .query(true)
      .reply(200, [gitlabDiff("README.md")], { "x-next-page": "", "x-page": "2", "x-total-pages": "2" });

    expect(await new GitLabForge(testClient()).changedFiles(gitlabRef)).toEqual({
      paths: ["src/app.ts", "docs/new.md", "src/old.md", "README.md"],
      complete: true,
    });
  });
});
