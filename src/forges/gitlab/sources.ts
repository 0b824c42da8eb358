import { PrboxError } from "../../errors.js";
import { extractTarball, type ArchiveLimits } from "../archive.js";
import type { GitLabClient } from "./client.js";
import { classifyGitLabError, errorForStatus, gitlab, GitLabError } from "./errors.js";
import { commitName, type GitLabMergeRequest } from "./project.js";

const NOT_FOUND = "the commit is gone (force-pushed away?) or GITLAB_TOKEN cannot read the project";

/**
 * Downloads the project at `sha` and extracts it into `dest`, without the archive's
 * `<project>-<sha>-<sha>/` directory. Refusals of the archive name the commit, for the MR note.
 */
export async function fetchSources(
  mr: GitLabMergeRequest,
  sha: string,
  dest: string,
  options: { limits: Partial<ArchiveLimits>; signal?: AbortSignal },
): Promise<void> {
  const what = `fetching the sources of ${commitName(mr, sha)}`;
  const archive = await downloadArchive(mr, sha, what, options.signal);
  try {
    await extractTarball(archive, dest, { ...options.limits, stripComponents: 1, signal: options.signal });
  } catch (error) {
    if (!(error instanceof PrboxError)) throw error;
    throw new PrboxError(`${what}: ${error.message}`, { kind: error.kind, hint: error.hint, cause: error });
  }
  mr.log.debug({ sha }, "extracted the sources");
}

/**
 * `GET /projects/:id/repository/archive.tar.gz?sha=…`, streamed. Fetched here rather than through
 * gitbeaker, which takes no AbortSignal for it: a cancelled job stops the download. Redirects are
 * not followed: GitLab serves archives itself, and following one would send PRIVATE-TOKEN to
 * wherever it pointed.
 */
async function downloadArchive(
  mr: GitLabMergeRequest,
  sha: string,
  what: string,
  signal?: AbortSignal,
): Promise<ReadableStream> {
  const url = new URL(`projects/${mr.projectId}/repository/archive.tar.gz`, apiBase(mr.api));
  url.searchParams.set("sha", sha);
  let response: Response;
  try {
    response = await fetch(url, { headers: await authHeaders(mr.api), redirect: "manual", signal });
  } catch (error) {
    throw classifyGitLabError(error, what);
  }
  if (response.ok && response.body) return response.body;
  const text = await response.text().catch(() => "");
  if (response.status >= 300 && response.status < 400) {
    throw new GitLabError(`${what}: GitLab answered ${response.status}, a redirect prbox does not follow`, {
      status: response.status,
      hint: "check that GITLAB_URL is GitLab's address as GitLab itself knows it (scheme and host)",
    });
  }
  throw errorForStatus(
    what,
    { status: response.status, retryAfter: response.headers.get("retry-after"), message: messageOf(text) },
    { notFound: NOT_FOUND },
  );
}

/** The client's API base URL, "https://gitlab.example.com/api/v4/". */
function apiBase(api: GitLabClient): string {
  return api.url.endsWith("/") ? api.url : `${api.url}/`;
}

/** The client's own authentication header (PRIVATE-TOKEN, or Authorization for OAuth tokens). */
async function authHeaders(api: GitLabClient): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(api.authHeaders)) headers[name] = await value();
  return headers;
}

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    const said = parsed.message ?? parsed.error;
    if (typeof said === "string") return said;
  } catch {
    // not JSON: GitLab's HTML error pages say nothing useful beyond the status
  }
  return text.trim().startsWith("<") ? "" : text.trim().slice(0, 200);
}

/**
 * Another project (a box's `repository`, its path) as a merge request's operations use it, and
 * the commit `ref` names there (null: its default branch), read with GITLAB_TOKEN.
 */
export async function resolveProject(
  mr: GitLabMergeRequest,
  path: string,
  ref: string | null,
): Promise<{ project: GitLabMergeRequest; sha: string }> {
  const { api } = mr;
  const unreadable = `${path} does not exist or GITLAB_TOKEN cannot read it`;
  const shown = await gitlab(`reading ${path}`, () => api.Projects.show(path), { notFound: unreadable });
  const project = { ...mr, projectId: shown.id, path, log: mr.log.child({ source: path }) };
  const name = ref ?? shown.default_branch;
  if (!name) throw new GitLabError(`reading ${path}: the project has no default branch (is it empty?)`);
  const commit = await gitlab(`resolving ${path}@${name}`, () => api.Commits.show(shown.id, name), {
    notFound: `${path} has no branch, tag or commit "${name}"`,
  });
  return { project, sha: commit.id };
}
