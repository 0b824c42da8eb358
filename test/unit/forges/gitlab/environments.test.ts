import nock from "nock";
import { describe, expect, it } from "vitest";
import type { ForgeEnvironmentStatus } from "../../../../src/core/forge.js";
import { GitLabForge } from "../../../../src/forges/gitlab/forge.js";
import { useStrictNock } from "../../../support/nock.js";
import { HOST, PROJECT, SHA, environment, ref, testClient } from "./fixtures.js";

useStrictNock();

const ENVIRONMENTS = `${PROJECT}/environments`;
const URL = "https://pr-42.preview.acme.dev";
const status = (state: ForgeEnvironmentStatus["state"], url: string | null = null): ForgeEnvironmentStatus => ({
  environment: "gitlab-acme-platform-shop-pr-42",
  sha: SHA,
  state,
  url,
});

function existing(...found: Record<string, unknown>[]) {
  return nock(HOST).get(ENVIRONMENTS).query({ name: "prbox/mr-42" }).reply(200, found);
}

describe("GitLabForge.setEnvironmentStatus", () => {
  it("creates the environment prbox/mr-42 with the preview URL when the deploy succeeded", async () => {
    existing();
    const create = nock(HOST)
      .post(ENVIRONMENTS, { name: "prbox/mr-42", tier: "development", external_url: URL })
      .reply(201, environment(301, "available", URL));

    await new GitLabForge(testClient()).setEnvironmentStatus(ref, status("success", URL));

    expect(create.isDone()).toBe(true);
  });

  it("creates a missing environment without a URL while the deploy is queued or running", async () => {
    existing();
    nock(HOST)
      .post(ENVIRONMENTS, { name: "prbox/mr-42", tier: "development" })
      .reply(201, environment(301, "available"));
    existing(environment(301, "available"));

    const forge = new GitLabForge(testClient());
    await forge.setEnvironmentStatus(ref, status("queued"));
    await forge.setEnvironmentStatus(ref, status("in_progress"));
    // The second call found it and changed nothing.
  });

  it("sets the URL of an existing environment once, and leaves it when it is already right", async () => {
    existing(environment(301, "available"));
    const edit = nock(HOST)
      .put(`${ENVIRONMENTS}/301`, { external_url: URL })
      .reply(200, environment(301, "available", URL));
    existing(environment(301, "available", URL));

    const forge = new GitLabForge(testClient());
    await forge.setEnvironmentStatus(ref, status("success", URL));
    await forge.setEnvironmentStatus(ref, status("success", URL));

    expect(edit.isDone()).toBe(true);
  });

  it("stops and then deletes the environment when it becomes inactive", async () => {
    existing(environment(301, "available", URL));
    const stop = nock(HOST)
      .post(`${ENVIRONMENTS}/301/stop`)
      .reply(200, environment(301, "stopped", URL));
    const remove = nock(HOST).delete(`${ENVIRONMENTS}/301`).reply(204);

    await new GitLabForge(testClient()).setEnvironmentStatus(ref, status("inactive"));

    expect(stop.isDone()).toBe(true);
    expect(remove.isDone()).toBe(true);
  });

  it("is done when there is nothing to retire, or it vanished half-way", async () => {
    existing();
    await new GitLabForge(testClient()).setEnvironmentStatus(ref, status("inactive"));

    existing(environment(301, "stopped", URL));
    nock(HOST).delete(`${ENVIRONMENTS}/301`).reply(404, { message: "404 Not found" });
    await new GitLabForge(testClient()).setEnvironmentStatus(ref, status("inactive"));
  });

  it("replaces an environment left stopped by an earlier close when the MR deploys again", async () => {
    existing(environment(301, "stopped", URL));
    nock(HOST).delete(`${ENVIRONMENTS}/301`).reply(204);
    const create = nock(HOST)
      .post(ENVIRONMENTS, { name: "prbox/mr-42", tier: "development", external_url: URL })
      .reply(201, environment(302, "available", URL));

    await new GitLabForge(testClient()).setEnvironmentStatus(ref, status("success", URL));

    expect(create.isDone()).toBe(true);
  });
});
