// The forge-neutral driver (forge.ts) on GitHub: a repository of the fake GitHub, deliveries
// from @octokit/webhooks-examples signed with the app's secret.
import type { CommitState } from "../../../../src/core/forge.js";
import { STICKY_MARKER } from "../../../../src/core/sticky-comment.js";
import { environmentName } from "../../../../src/forges/github/deployments.js";
import { prEnvironmentId, prRepoNamespace } from "../../../../src/spec/naming.js";
import type { RunningPrbox } from "../../github/support/prbox.js";
import { commentDelivery, deliver, pullRequestDelivery } from "../../github/support/webhooks.js";
import {
  gitHubUser,
  type FakeComment,
  type FakeDeployment,
  type FakeGitHub,
  type FakeRepository,
} from "../../../support/fake-github.js";
import type { Delivery, ForgeHarness, SeenComment, SeenEnvironment } from "./forge.js";

function seen(comment: FakeComment): SeenComment {
  return { id: comment.id, body: comment.body, history: comment.history };
}

const ENVIRONMENT_STATES: Record<string, SeenEnvironment["state"]> = {
  success: "ready",
  failure: "failed",
  error: "failed",
  inactive: "stopped",
};

function environmentOf(deployments: FakeDeployment[]): SeenEnvironment {
  const last = deployments.at(-1)?.statuses.at(-1);
  return {
    state: deployments.length === 0 ? "none" : (ENVIRONMENT_STATES[last?.state ?? ""] ?? "created"),
    url: last?.environment_url || null,
    deploys: deployments.map((d) => d.sha),
  };
}

/** GitHub reopens a PR closed without merging: open again, updated now. */
function reopen(github: FakeGitHub, repo: FakeRepository, number: number): void {
  const pr = repo.pull(number);
  if (pr.merged) throw new Error(`#${number} is merged: GitHub cannot reopen it`);
  pr.state = "open";
  pr.updated_at = github.tick();
}

export function githubHarness(prbox: RunningPrbox, github: FakeGitHub, repo: FakeRepository): ForgeHarness {
  const send = (payload: Parameters<typeof deliver>[2]): Delivery => ({
    send: (options) => deliver(prbox.webhookUrl, prbox.secret, payload, options),
  });
  const comment = (id: number) => {
    const found = repo.comments.find((c) => c.id === id);
    if (!found) throw new Error(`the fake GitHub has no comment ${id}`);
    return found;
  };
  const sticky = (pr: number) => repo.botComments(pr).filter((c) => c.body.includes(STICKY_MARKER));
  return {
    name: "github",
    repo: repo.fullName,
    recordsDeployments: true,
    push: (sha, files) => repo.push(sha, files),
    pushBranch: (branch, sha, files) => repo.pushBranch(branch, sha, files),
    otherRepository: (suffix) => {
      const other = github.addRepository(`${repo.fullName}-${suffix}`, repo.installationId);
      return {
        path: other.fullName,
        pushBranch: (branch, sha, files) => other.pushBranch(branch, sha, files),
        downloads: () => [...other.downloads],
      };
    },
    open: (pr, head) => void repo.openPullRequest(pr, head),
    pushTo: (pr, sha) => void repo.pushToPullRequest(pr, sha),
    close: (pr, options) => void repo.closePullRequest(pr, options),
    reopen: (pr) => reopen(github, repo, pr),
    setRole: (user, role) => repo.setPermission(user, role),
    comment: (pr, user, body) => seen(repo.comment(pr, user, body)),
    botComment: (pr, body) => seen(repo.addComment(pr, gitHubUser("other-previews[bot]", "Bot"), body)),
    comments: (pr) => repo.commentsOn(pr).map(seen),
    pullRequestEvent: (pr, action) => send(pullRequestDelivery(repo, pr, action)),
    setLabel: (pr, name, on) => {
      repo.setLabel(pr, name, on);
      return send(pullRequestDelivery(repo, pr, on ? "labeled" : "unlabeled", name));
    },
    markReady: (pr) => {
      repo.markReady(pr);
      return send(pullRequestDelivery(repo, pr, "ready_for_review"));
    },
    commentEvent: (_pr, c) => send(commentDelivery(repo, comment(c.id))),
    pullRequests: () => [...repo.pulls.keys()],
    stickyComments: (pr) => sticky(pr).map(seen),
    replies: (pr) =>
      repo
        .botComments(pr)
        .filter((c) => !sticky(pr).includes(c))
        .map((c) => c.body),
    statusesOf: (sha, name) =>
      repo
        .statusesOf(sha, name)
        .map((s) => ({ state: s.state as CommitState, description: s.description, url: s.target_url })),
    reactionsOn: (id) => repo.reactionsOn(id).map((r) => r.content),
    downloads: () => [...repo.downloads],
    environment: (pr) => environmentOf(repo.deploymentsOf(environmentName(pr))),
    namespace: (pr) => prRepoNamespace("github", repo.fullName, pr),
    environmentId: (pr) => prEnvironmentId("github", repo.fullName, pr),
    assertNoProblems: () => github.assertNoProblems(),
  };
}
