import { describe, expect, it } from "vitest";
import { commandNote, mergeRequestEvent } from "../../../../src/forges/gitlab/events.js";
import { mergeRequestHook, mergeRequestNoteHook, normaliseTime } from "../../../../src/forges/gitlab/payloads.js";
import { SHA, hook } from "./fixtures.js";

describe("normaliseTime", () => {
  it("writes GitLab's two time formats, and offsets, as one ISO form that sorts as text", () => {
    expect(normaliseTime("2013-12-03T17:23:34Z")).toBe("2013-12-03T17:23:34.000Z");
    expect(normaliseTime("2013-12-03 17:23:34 UTC")).toBe("2013-12-03T17:23:34.000Z");
    expect(normaliseTime("2019-06-05T14:32:20.211Z")).toBe("2019-06-05T14:32:20.211Z");
    expect(normaliseTime("2012-01-03T23:36:29+02:00")).toBe("2012-01-03T21:36:29.000Z");
    expect(normaliseTime("2013-12-03 17:23:35 UTC")! > normaliseTime("2013-12-03T17:23:34Z")!).toBe(true);
  });

  it("refuses what is no time", () => {
    expect(normaliseTime("yesterday")).toBeNull();
    expect(normaliseTime("2013-12-03")).toBeNull();
    expect(normaliseTime("2013-13-45 99:00:00 UTC")).toBeNull();
  });
});

describe("mergeRequestEvent", () => {
  const parse = (payload: unknown) => mergeRequestEvent(mergeRequestHook.parse(payload));

  it("takes the head from last_commit and the labels by title", () => {
    expect(parse(hook("merge_request.open"))).toEqual({
      event: {
        kind: "pull_request",
        action: "opened",
        ref: { forge: "gitlab", repo: "acme/platform/shop", pr: 42, target: "15" },
        head: {
          branch: "feature/login",
          sha: SHA,
          fork: false,
          labels: ["preview"],
          draft: false,
          author: { login: "alex", bot: false },
        },
        merged: false,
        at: "2026-11-02T10:00:00.000Z",
      },
    });
  });

  it("knows a fork by a source project other than the target", () => {
    const payload = hook("merge_request.open");
    payload.object_attributes.source_project_id = 77;

    expect(parse(payload)).toMatchObject({ event: { head: { fork: true } } });
  });

  it("calls a merge closed and merged, a close closed and not merged, a reopen reopened", () => {
    expect(parse(hook("merge_request.merge"))).toMatchObject({ event: { action: "closed", merged: true } });
    expect(parse(hook("merge_request.close"))).toMatchObject({ event: { action: "closed", merged: false } });
    const reopened = hook("merge_request.open");
    reopened.object_attributes.action = "reopen";
    expect(parse(reopened)).toMatchObject({ event: { action: "reopened" } });
  });

  it("reads the draft flag, and work_in_progress from older GitLab", () => {
    const draft = hook("merge_request.open");
    draft.object_attributes.draft = true;
    expect(parse(draft)).toMatchObject({ event: { head: { draft: true } } });
    const old = hook("merge_request.open");
    delete old.object_attributes.draft;
    old.object_attributes.work_in_progress = true;
    expect(parse(old)).toMatchObject({ event: { head: { draft: true } } });
  });

  it("knows the author only when the hook's user is the author, and a token's user for a bot", () => {
    const byBot = hook("merge_request.open");
    byBot.user = { id: 901, username: "project_15_bot_3f2a9c0b1d", name: "renovate" };
    byBot.object_attributes.author_id = 901;
    expect(parse(byBot)).toMatchObject({
      event: { head: { author: { login: "project_15_bot_3f2a9c0b1d", bot: true } } },
    });
    // A maintainer pushes to the bot's merge request: the hook's user is not the author.
    const byOther = hook("merge_request.update-push");
    byOther.object_attributes.author_id = 901;
    const event = parse(byOther);
    expect(event).toMatchObject({ event: { action: "synchronize" } });
    expect(event).not.toHaveProperty("event.head.author");
  });

  it("calls marking a draft ready ready_for_review, and making it a draft converted_to_draft", () => {
    const ready = hook("merge_request.update-title");
    ready.changes = { draft: { previous: true, current: false } };
    expect(parse(ready)).toMatchObject({ event: { action: "ready_for_review", head: { draft: false } } });
    const drafted = hook("merge_request.update-title");
    drafted.object_attributes.draft = true;
    drafted.changes = { draft: { previous: false, current: true } };
    expect(parse(drafted)).toMatchObject({ event: { action: "converted_to_draft", head: { draft: true } } });
  });

  it("reads a draft change from the title's prefix where GitLab reports no draft change (before 16.x)", () => {
    const ready = hook("merge_request.update-title");
    ready.changes = { title: { previous: "Draft: Log in with SSO", current: "Log in with SSO" } };
    expect(parse(ready)).toMatchObject({ event: { action: "ready_for_review" } });
    const drafted = hook("merge_request.update-title");
    drafted.changes = { title: { previous: "Log in with SSO", current: "[Draft] Log in with SSO" } };
    expect(parse(drafted)).toMatchObject({ event: { action: "converted_to_draft" } });
    const renamed = hook("merge_request.update-title");
    renamed.changes = { title: { previous: "Draft: Log in", current: "Draft: Log in with SSO" } };
    expect(parse(renamed)).toEqual({ ignored: "merge request edited without new commits" });
  });

  it("calls removing a label unlabeled, and ignores an edit that changed neither code nor labels", () => {
    const unlabelled = hook("merge_request.update-title");
    unlabelled.changes = { labels: { previous: [{ title: "preview" }], current: [] } };
    expect(parse(unlabelled)).toMatchObject({ event: { action: "unlabeled" } });
    expect(parse(hook("merge_request.update-title"))).toEqual({ ignored: "merge request edited without new commits" });
  });
});

describe("commandNote", () => {
  it("reads the note, its author and the merge request it is on", () => {
    expect(commandNote(mergeRequestNoteHook.parse(hook("note.merge_request-reload")))).toEqual({
      event: {
        ref: { forge: "gitlab", repo: "acme/platform/shop", pr: 42, target: "15" },
        commentId: "1244",
        author: { id: "52", login: "sam", bot: false },
        body: "/reload",
        labels: ["preview"],
        at: "2026-11-02T10:10:00.000Z",
      },
    });
  });

  it.each(["project_15_bot_3f2a9c0b1d", "group_7_bot_0a1b2c3d4e", "project_15_bot", "service_account_group_7_1a2b"])(
    "takes notes by %s for a bot's",
    (username) => {
      const payload = hook("note.merge_request-reload");
      payload.user = { id: 9001, username, name: "bot", avatar_url: null, email: "[REDACTED]" };

      expect(commandNote(mergeRequestNoteHook.parse(payload))).toMatchObject({
        event: { author: { id: "9001", login: username, bot: true } },
      });
    },
  );
});
