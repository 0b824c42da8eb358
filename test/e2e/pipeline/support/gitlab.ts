// The forge-neutral driver (forge.ts) on GitLab: a project of the fake GitLab, webhook payloads
// after fixtures/gitlab/ sent with the headers GitLab sends (X-Gitlab-Token, Idempotency-Key).
import { randomUUID } from "node:crypto";
import type { CommitState } from "../../../../src/core/forge.js";
import { environmentName } from "../../../../src/forges/gitlab/environments.js";
import { STICKY_MARKER } from "../../../../src/core/sticky-comment.js";
import { prEnvironmentId, prRepoNamespace } from "../../../../src/spec/naming.js";
import type { RunningPrbox } from "../../github/support/prbox.js";
import { ACCESS, GITLAB_URL, type FakeGitLab, type FakeNote, type FakeProject } from "../../../support/fake-gitlab.js";
import type {
  Delivery,
  DeliveryAnswer,
  ForgeHarness,
  PullRequestAction,
  Role,
  SeenComment,
  SeenEnvironment,
} from "./forge.js";

export interface GitLabDeliveryOptions {
  /** Idempotency-Key (GitLab 17.4+); a fresh UUID unless a redelivery is meant. */
  id?: string;
  /** X-Gitlab-Token; default the webhook's secret. */
  token?: string;
}

/** POSTs a webhook body to prbox exactly as GitLab does. */
export async function deliverToGitLabRoute(
  prbox: RunningPrbox,
  event: string,
  body: unknown,
  options: GitLabDeliveryOptions = {},
): Promise<DeliveryAnswer> {
  const id = options.id ?? randomUUID();
  const response = await fetch(prbox.gitlab.webhookUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitLab/18.5.1",
      "x-gitlab-event": event,
      "x-gitlab-token": options.token ?? prbox.gitlab.secret,
      "x-gitlab-instance": GITLAB_URL,
      "x-gitlab-webhook-uuid": "2bb7ab0a-6a9e-4b5c-8a47-3f6b4f1e2d10",
      "x-gitlab-event-uuid": randomUUID(),
      "idempotency-key": id,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  return { id, status: response.status, body: await response.text() };
}

const ACTIONS: Record<PullRequestAction, "open" | "update" | "close" | "reopen"> = {
  opened: "open",
  synchronize: "update",
  closed: "close",
  reopened: "reopen",
};
const LEVELS: Record<Role, number> = { maintain: ACCESS.maintainer, write: ACCESS.developer, read: ACCESS.guest };
const STATES: Record<string, CommitState> = {
  pending: "pending",
  running: "pending",
  success: "success",
  failed: "failure",
};
const AWARDS: Record<string, string> = { thumbsup: "+1", thumbsdown: "-1" };

function seen(note: FakeNote): SeenComment {
  return { id: note.id, body: note.body, history: note.history };
}

function environmentOf(project: FakeProject, iid: number): SeenEnvironment {
  const last = project.environmentsNamed(environmentName(iid)).at(-1);
  if (!last) return { state: "none", url: null, deploys: [] };
  const state = last.removed
    ? "removed"
    : last.state === "stopped"
      ? "stopped"
      : last.external_url
        ? "ready"
        : "created";
  return { state, url: last.external_url, deploys: [] };
}

export function gitlabHarness(prbox: RunningPrbox, gitlab: FakeGitLab, project: FakeProject): ForgeHarness {
  const send = (event: string, body: unknown): Delivery => ({
    send: (options) => deliverToGitLabRoute(prbox, event, body, options),
  });
  const sticky = (iid: number) => project.botNotes(iid).filter((n) => n.body.includes(STICKY_MARKER));
  return {
    name: "gitlab",
    repo: project.path,
    recordsDeployments: false,
    push: (sha, files) => project.push(sha, files),
    pushBranch: (branch, sha, files) => project.pushBranch(branch, sha, files),
    otherRepository: (suffix) => {
      const other = gitlab.addProject(`${project.path}-${suffix}`);
      return {
        path: other.path,
        pushBranch: (branch, sha, files) => other.pushBranch(branch, sha, files),
        downloads: () => [...other.downloads],
      };
    },
    open: (iid, head) => void project.openMergeRequest(iid, head),
    pushTo: (iid, sha) => void project.pushToMergeRequest(iid, sha),
    close: (iid, options) => void project.closeMergeRequest(iid, options),
    reopen: (iid) => void project.reopenMergeRequest(iid),
    setRole: (user, role) => project.setAccessLevel(user, LEVELS[role]),
    comment: (iid, user, body) => seen(project.comment(iid, user, body)),
    botComment: (iid, body) => seen(project.addNote(iid, gitlab.user("project_77_bot_5e1d0c2a"), body)),
    comments: (iid) => project.notesOn(iid).map(seen),
    pullRequestEvent: (iid, action) => {
      const merged = action === "closed" && project.mergeRequest(iid).state === "merged";
      return send("Merge Request Hook", project.mergeRequestHook(iid, merged ? "merge" : ACTIONS[action]));
    },
    setLabel: (iid, name, on) =>
      send("Merge Request Hook", project.mergeRequestHook(iid, "update", project.setLabel(iid, name, on))),
    markReady: (iid) => send("Merge Request Hook", project.mergeRequestHook(iid, "update", project.markReady(iid))),
    commentEvent: (iid, c) => {
      const note = project.notesOn(iid).find((n) => n.id === c.id);
      if (!note) throw new Error(`the fake GitLab has no note ${c.id} on !${iid}`);
      return send("Note Hook", project.noteHook(note));
    },
    pullRequests: () => [...project.mergeRequests.keys()],
    stickyComments: (iid) => sticky(iid).map(seen),
    replies: (iid) =>
      project
        .botNotes(iid)
        .filter((n) => !sticky(iid).includes(n))
        .map((n) => n.body),
    statusesOf: (sha, name) =>
      project
        .statusesOf(sha, name)
        .map((s) => ({ state: STATES[s.status] ?? "error", description: s.description, url: s.target_url })),
    reactionsOn: (id) => project.awardsOn(id).map((a) => AWARDS[a.name] ?? a.name),
    downloads: () => [...project.downloads],
    environment: (iid) => environmentOf(project, iid),
    namespace: (iid) => prRepoNamespace("gitlab", project.path, iid),
    environmentId: (iid) => prEnvironmentId("gitlab", project.path, iid),
    assertNoProblems: () => gitlab.assertNoProblems(),
  };
}
