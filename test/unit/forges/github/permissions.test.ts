import nock from "nock";
import { describe, expect, it } from "vitest";
import { PrboxError } from "../../../../src/errors.js";
import { GitHubForge } from "../../../../src/forges/github/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { API, notFound, permissionBody, ref, testBot, testOctokit } from "./fixtures.js";

useStrictNock();

const PERMISSION = "/repos/acme/shop/collaborators/octocat/permission";

describe("GitHubForge.canWrite", () => {
  // GitHub's legacy `permission` shows maintain as write and triage as read; `role_name` names the role.
  it.each([
    ["admin", "admin"],
    ["write", "maintain"],
    ["write", "write"],
  ])("lets a collaborator with %s permission (role %s) run commands", async (permission, role) => {
    nock(API).get(PERMISSION).reply(200, permissionBody(permission, role));

    expect(await new GitHubForge(testOctokit(), testBot).canWrite(ref, "octocat")).toBe(true);
  });

  it.each([
    ["read", "triage"],
    ["read", "read"],
    ["none", ""],
  ])("does not let a collaborator with %s permission (role %s) run commands", async (permission, role) => {
    nock(API).get(PERMISSION).reply(200, permissionBody(permission, role));

    expect(await new GitHubForge(testOctokit(), testBot).canWrite(ref, "octocat")).toBe(false);
  });

  it("answers no for someone who is not a collaborator (404)", async () => {
    nock(API).get(PERMISSION).reply(404, notFound);

    expect(await new GitHubForge(testOctokit(), testBot).canWrite(ref, "octocat")).toBe(false);
  });

  it("throws when GitHub cannot say, rather than guessing", async () => {
    nock(API).get(PERMISSION).reply(500, { message: "Server Error" });

    const error = await new GitHubForge(testOctokit(), testBot).canWrite(ref, "octocat").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PrboxError);
    expect(error).toMatchObject({
      kind: "transient",
      message: "checking octocat's permission on acme/shop: GitHub answered 500: Server Error",
    });
  });
});
