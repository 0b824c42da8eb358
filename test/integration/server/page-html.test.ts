import { describe, expect, it } from "vitest";
import type { EnvironmentsView, PageEnvironment } from "../../../src/server/environments-page.js";
import { mergeEnvironments, stateOf } from "../../../src/server/environments-page.js";
import { escapeHtml, html } from "../../../src/server/html.js";
import { renderEnvironmentsPage } from "../../../src/server/page-html.js";
import type { ObservedState } from "../../../src/core/desired.js";
import { desiredState } from "../queue/support.js";

const FORGES = { github: "https://github.com", gitlab: "https://gitlab.com" };

function environment(overrides: Partial<PageEnvironment> = {}): PageEnvironment {
  return {
    id: "acme-shop-pr-7",
    forge: "github",
    repo: "acme/shop",
    pr: 7,
    prUrl: "https://github.com/acme/shop/pull/7",
    branch: "feature/cart",
    sha: "a".repeat(40),
    runningSha: null,
    state: "ready",
    reason: null,
    previewUrl: "https://pr-7.preview.example.com",
    deployedAt: "2026-11-22T09:00:00.000Z",
    lastError: null,
    namespace: "shop-pr-7",
    clusterOnly: false,
    ...overrides,
  };
}

function page(environments: PageEnvironment[], extra: Partial<EnvironmentsView> = {}): string {
  return renderEnvironmentsPage({
    generatedAt: "2026-11-22T10:00:00.000Z",
    environments,
    queue: { waiting: 0, active: 0, failed: 0 },
    notices: [],
    ...extra,
  });
}

describe("html templates", () => {
  it("escape every interpolated value, in text and in attributes, and keep nested templates", () => {
    const value = `<b title="x" onclick='y'>&</b>`;
    expect(html`<p title="${value}">${value}</p>`.text).toBe(
      `<p title="&lt;b title=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/b&gt;">&lt;b title=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/b&gt;</p>`,
    );
    expect(html`<ul>${["<a>", "b"].map((x) => html`<li>${x}</li>`)}</ul>`.text).toBe(
      "<ul><li>&lt;a&gt;</li><li>b</li></ul>",
    );
    expect(html`${null}${undefined}${false}${0}`.text).toBe("0");
    expect(escapeHtml("a&b")).toBe("a&amp;b");
  });
});

describe("the environments page's HTML", () => {
  it("links a preview only when its URL is http or https", () => {
    const body = page([
      environment({ id: "a", previewUrl: "javascript:alert(1)" }),
      environment({ id: "b", previewUrl: "data:text/html,<b>x</b>" }),
      environment({ id: "c", previewUrl: "HTTPS://pr-9.example.com/path?q=<1>" }),
    ]);
    expect(body).not.toContain('href="javascript:');
    expect(body).not.toContain('href="data:');
    expect(body).toContain("<span>javascript:alert(1)</span>");
    expect(body).toContain(
      '<a href="HTTPS://pr-9.example.com/path?q=&lt;1&gt;" rel="noopener noreferrer">pr-9.example.com/path?q=&lt;1&gt;</a>',
    );
  });

  it("folds a long or multi-line error under its first line", () => {
    const error = `render failed: values.yaml:3:7 unknown variable \${DB}\n${"x".repeat(500)}`;
    const body = page([environment({ state: "failed", lastError: error })]);
    expect(body).toContain(
      `<details><summary>render failed: values.yaml:3:7 unknown variable \${DB}</summary><p class="error">${error}</p></details>`,
    );
    expect(page([environment({ lastError: "short" })])).toContain('<p class="error">short</p>');
  });

  it("shows the running commit when a newer one waits, an MR with !, and the age of the last deploy", () => {
    const body = page([
      environment({
        forge: "gitlab",
        pr: 12,
        prUrl: "https://gitlab.com/g/p/-/merge_requests/12",
        sha: "b".repeat(40),
        runningSha: "c".repeat(40),
        state: "queued",
      }),
    ]);
    expect(body).toContain(">!12</a>");
    expect(body).toContain(`running <code title="${"c".repeat(40)}">ccccccc</code>`);
    expect(body).toContain('<time datetime="2026-11-22T09:00:00.000Z" title="2026-11-22T09:00:00.000Z">60m</time>');
    expect(body).toContain('<span class="state state-queued">queued</span>');
  });

  it("says so when nothing is live, and leaves the queue out when Redis did not answer", () => {
    const body = page([], { queue: null, notices: ["Redis did not give the queue's counts (down)."] });
    expect(body).toContain('<p class="empty">No live environments.</p>');
    expect(body).toContain(`<p class="notice" role="status">Redis did not give the queue&#39;s counts (down).</p>`);
    expect(body).not.toContain('class="queue"');
  });
});

describe("which environments the page lists", () => {
  it("merges Redis and the cluster: torn-down records are gone, cluster-only environments are kept", () => {
    const live = desiredState("live", { ref: { forge: "github", repo: "acme/b", pr: 2, target: "1" } });
    const gone = desiredState("gone", { action: "destroy", closed: true });
    const closing = desiredState("closing", {
      ref: { forge: "github", repo: "acme/a", pr: 1, target: "1" },
      action: "destroy",
      closed: true,
    });
    const record = {
      id: "cli-env",
      name: "cli",
      namespace: "cli-env",
      extraNamespaces: [],
      forge: null,
      repo: null,
      pr: null,
      branch: null,
      sha: null,
      url: "https://cli.example.com",
      boxes: [],
      deployedAt: null,
      status: "ready" as const,
      lastError: null,
      adopted: false,
    };
    const merged = mergeEnvironments(
      [
        { desired: live, observed: null },
        {
          desired: gone,
          observed: {
            envId: "gone",
            sha: null,
            reloadRequest: 0,
            generation: 1,
            status: "destroyed",
            error: null,
            at: "2026-11-22T10:00:00Z",
          },
        },
        { desired: closing, observed: null },
      ],
      [record],
      FORGES,
    );
    expect(merged.map((e) => [e.id, e.state, e.reason, e.clusterOnly])).toEqual([
      ["closing", "tearing down", "the pull request is closed", false],
      ["live", "queued", null, false],
      ["cli-env", "ready", null, true],
    ]);
  });

  it("shows a PR in another's shared preview as waiting on it, and a closed host kept for its group as running", () => {
    const observed = (envId: string, extra: Partial<ObservedState> & Pick<ObservedState, "status">): ObservedState => ({
      envId,
      sha: "a".repeat(40),
      reloadRequest: 0,
      generation: 0,
      error: null,
      at: "2026-11-22T10:00:00Z",
      ...extra,
    });
    const member = desiredState("member", { ref: { forge: "github", repo: "acme/api", pr: 4, target: "1" } });
    const host = desiredState("host", {
      ref: { forge: "github", repo: "acme/web", pr: 1, target: "1" },
      action: "destroy",
      closed: true,
    });
    const members = [{ envId: "member", ref: member.ref, branch: "feature", sha: "a".repeat(40) }];
    const merged = mergeEnvironments(
      [
        { desired: member, observed: observed("member", { sha: null, status: "grouped", host: "host" }) },
        { desired: host, observed: observed("host", { status: "ready", members }) },
      ],
      [],
      FORGES,
    );
    expect(merged.map((e) => [e.id, e.state, e.reason])).toEqual([
      ["member", "waiting", "part of the preview of host"],
      ["host", "ready", "the pull request is closed; kept for the other pull requests of its branch"],
    ]);
  });
});

describe("a sleeping preview on the page (ADR 28)", () => {
  it("is sleeping while it should sleep, queued once something woke it, and tearing down when closed", () => {
    const sha = "a".repeat(40);
    const asleep = {
      envId: "e",
      sha,
      reloadRequest: 0,
      generation: 2,
      status: "sleeping" as const,
      error: null,
      at: "",
    };
    const sleepSince = "2026-12-01T20:00:00.000Z";
    expect(stateOf(desiredState("e", { sha, sleepSince }), asleep, null)).toBe("sleeping");
    expect(stateOf(desiredState("e", { sha, sleepSince: null }), asleep, null)).toBe("queued");
    expect(stateOf(desiredState("e", { sha, sleepSince, action: "destroy" }), asleep, null)).toBe("tearing down");
  });
});
