import { createHash } from "node:crypto";
import { age } from "../table.js";
import type { EnvironmentsView, PageEnvironment, PageQueue } from "./environments-page.js";
import { Html, html } from "./html.js";

// One stylesheet, inline (no external assets) and allowed by its hash in the CSP. Up to 900px the
// table's rows become stacked cards, each cell labelled from data-label, so a phone never scrolls
// sideways; long SHAs, URLs and errors wrap anywhere.
const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--card:#151b23;--link:#4493f8}}
*{box-sizing:border-box}
body{margin:0;padding:16px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:1400px;margin:0 auto}
h1{font-size:1.4rem;margin:0 0 4px}
a{color:var(--link)}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.meta,.sub{color:var(--muted)}
.meta{margin:0 0 16px}
.sub{display:block;font-size:.85rem}
.queue{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 16px;padding:0;list-style:none}
.queue li{border:1px solid var(--line);border-radius:8px;padding:6px 12px;background:var(--card)}
.queue b{font-size:1.15rem;margin-right:6px}
.notice{border:1px solid #d4a72c;background:#fff8c5;color:#3b2300;border-radius:8px;padding:10px 12px;margin:0 0 16px}
/* A fixed layout: the table is never wider than the screen, long values wrap inside their column. */
table{width:100%;border-collapse:collapse;table-layout:fixed}
th,td{text-align:left;vertical-align:top;padding:8px 6px;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
th{font-size:.8rem;text-transform:uppercase;color:var(--muted)}
col:nth-child(1){width:14%}col:nth-child(2){width:17%}col:nth-child(3){width:8%}col:nth-child(4){width:10%}
col:nth-child(5){width:5%}col:nth-child(6){width:21%}col:nth-child(7){width:25%}
.state{display:inline-block;border-radius:999px;padding:1px 10px;font-size:.85rem;font-weight:600;white-space:nowrap;background:#eaeef2;color:#424a53}
.state-ready{background:#dafbe1;color:#116329}
.state-failed{background:#ffebe9;color:#a40e26}
.state-deploying{background:#ddf4ff;color:#0550ae}
.state-waiting{background:#fff8c5;color:#7d4e00}
.error{margin:0;white-space:pre-wrap;font:.85em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
summary{cursor:pointer}
.empty{color:var(--muted);padding:24px 8px}
@media (max-width:900px){
body{padding:12px}
table,tbody,tr,td{display:block}
colgroup{display:none}
thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
tr{border:1px solid var(--line);border-radius:10px;margin:0 0 12px;padding:6px 12px;background:var(--card)}
td{border:0;padding:5px 0;display:grid;grid-template-columns:6.5rem minmax(0,1fr);gap:8px}
td::before{content:attr(data-label);color:var(--muted);font-size:.85rem}
}`;

// Ours, not input: it reaches the page as it is (its quotes in font names stay quotes).
const STYLESHEET = new Html(CSS);

/**
 * The page's Content-Security-Policy: nothing may load or run but the inline stylesheet above
 * (by hash), no forms, no framing (the page carries a live inventory behind a token).
 */
export function contentSecurityPolicy(): string {
  const hash = createHash("sha256").update(CSS).digest("base64");
  return `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** The whole page; every value from Redis or the cluster goes through html`` and is escaped. */
export function renderEnvironmentsPage(view: EnvironmentsView): string {
  const now = new Date(view.generatedAt);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>prbox environments</title>
<style>${STYLESHEET}</style>
</head>
<body>
<main>
<h1>Preview environments</h1>
<p class="meta">${view.environments.length} live · generated <time datetime="${view.generatedAt}">${view.generatedAt.slice(0, 19).replace("T", " ")} UTC</time> · <a href="/environments">reload</a> · <a href="/environments.json">JSON</a></p>
${view.notices.map((notice) => html`<p class="notice" role="status">${notice}</p>\n`)}
${queueSummary(view.queue)}
${environmentsTable(view.environments, now)}
</main>
</body>
</html>
`.text;
}

function queueSummary(queue: PageQueue | null): Html | null {
  if (queue === null) return null;
  return html`<ul class="queue" aria-label="reconcile queue">
<li><b>${queue.waiting}</b>waiting</li>
<li><b>${queue.active}</b>active</li>
<li><b>${queue.failed}</b>failed</li>
</ul>`;
}

const COLUMNS = ["Repository", "PR / MR", "Commit", "State", "Age", "Preview", "Last error"];

function environmentsTable(environments: readonly PageEnvironment[], now: Date): Html {
  const head = html`<colgroup>${COLUMNS.map(() => html`<col>`)}</colgroup>
<thead><tr>${COLUMNS.map((name) => html`<th scope="col">${name}</th>`)}</tr></thead>`;
  if (environments.length === 0) return html`<p class="empty">No live environments.</p>`;
  return html`<table>
${head}
<tbody>
${environments.map((env) => row(env, now))}
</tbody>
</table>`;
}

function row(env: PageEnvironment, now: Date): Html {
  const state = html`<span class="state state-${env.state.replace(" ", "-")}">${env.state}</span>${env.reason ? html`<span class="sub">${env.reason}</span>` : null}`;
  const deployed = env.deployedAt
    ? html`<time datetime="${env.deployedAt}" title="${env.deployedAt}">${age(new Date(env.deployedAt), now)}</time>`
    : html`–`;
  return html`<tr id="env-${env.id}">
${cell("Repository", html`${env.repo ?? env.id}<span class="sub">${env.namespace ?? env.id}${env.clusterOnly ? " · cluster only" : ""}</span>`)}
${cell("PR / MR", prCell(env))}
${cell("Commit", commitCell(env))}
${cell("State", state)}
${cell("Age", deployed)}
${cell("Preview", previewCell(env.previewUrl))}
${cell("Last error", errorCell(env.lastError), "err")}
</tr>
`;
}

// The content sits in one div, so that on a phone each cell is two grid items: label and value.
function cell(label: string, content: Html, className?: string): Html {
  return html`<td data-label="${label}"${className ? html` class="${className}"` : null}><div>${content}</div></td>`;
}

function prCell(env: PageEnvironment): Html {
  if (env.pr === null) return html`–`;
  const label = `${env.forge === "gitlab" ? "!" : "#"}${env.pr}`;
  const link = env.prUrl ? html`<a href="${env.prUrl}" rel="noopener noreferrer">${label}</a>` : html`${label}`;
  return html`${link}${env.branch ? html`<span class="sub">${env.branch}</span>` : null}`;
}

function commitCell(env: PageEnvironment): Html {
  if (env.sha === null) return html`–`;
  const running = env.runningSha
    ? html`<span class="sub">running <code title="${env.runningSha}">${env.runningSha.slice(0, 7)}</code></span>`
    : null;
  return html`<code title="${env.sha}">${env.sha.slice(0, 7)}</code>${running}`;
}

/** The URL comes from the PR's spec: only http(s) becomes a link (never javascript: or data:). */
function previewCell(url: string | null): Html {
  if (url === null) return html`–`;
  if (!/^https?:\/\//i.test(url)) return html`<span>${url}</span>`;
  return html`<a href="${url}" rel="noopener noreferrer">${url.replace(/^https?:\/\//i, "")}</a>`;
}

function errorCell(error: string | null): Html {
  if (error === null || error === "") return html`–`;
  const first = error.split("\n", 1)[0] ?? "";
  if (first === error && error.length <= 140) return html`<p class="error">${error}</p>`;
  return html`<details><summary>${first.length > 140 ? `${first.slice(0, 139)}…` : first}</summary><p class="error">${error}</p></details>`;
}
