import { PrboxError } from "../../errors.js";
import { extractTarball, type ArchiveLimits } from "../archive.js";
import { GitHubError, errorForStatus, github } from "./errors.js";
import { commitName, type GitHubRepo } from "./repo.js";

const NOT_FOUND = "the commit is gone (force-pushed away?) or the GitHub App cannot read the repository";

/**
 * Downloads the repository at `sha` and extracts it into `dest`, without the archive's
 * `owner-repo-sha/` directory. Refusals of the archive name the commit, for the PR comment.
 */
export async function fetchSources(
  gh: GitHubRepo,
  sha: string,
  dest: string,
  options: { limits: Partial<ArchiveLimits>; signal?: AbortSignal },
): Promise<void> {
  const what = `fetching the sources of ${commitName(gh, sha)}`;
  const archive = await downloadTarball(gh, sha, what, options.signal);
  try {
    await extractTarball(archive, dest, { ...options.limits, stripComponents: 1, signal: options.signal });
  } catch (error) {
    if (!(error instanceof PrboxError)) throw error;
    throw new PrboxError(`${what}: ${error.message}`, { kind: error.kind, hint: error.hint, cause: error });
  }
  gh.log.debug({ sha }, "extracted the sources");
}

/**
 * GitHub answers the tarball request with a 302 to codeload (or its GHES equivalent) carrying a
 * short-lived token in the URL. The redirect is followed here, not by fetch: the installation
 * token is never sent there, and the tokenized URL appears in no error or log.
 */
async function downloadTarball(
  gh: GitHubRepo,
  sha: string,
  what: string,
  signal?: AbortSignal,
): Promise<ReadableStream> {
  const { octokit, owner, repo } = gh;
  const response = await github(
    what,
    () =>
      octokit.rest.repos.downloadTarballArchive({
        owner,
        repo,
        ref: sha,
        request: { redirect: "manual", parseSuccessResponseBody: false, signal },
      }),
    { notFound: NOT_FOUND },
  );
  const status = Number(response.status);
  const body = response.data as ReadableStream | null | undefined;
  if (status >= 200 && status < 300 && body) return body;
  void body?.cancel().catch(() => {}); // not awaited: nothing depends on it
  const location = response.headers.location;
  if (status < 300 || status >= 400 || !location) {
    throw new GitHubError(`${what}: GitHub answered ${status} without an archive to download`, {
      kind: "transient",
      status,
    });
  }
  const fetcher = (octokit.request.endpoint.DEFAULTS.request?.fetch as typeof fetch | undefined) ?? fetch;
  return fetchArchive(fetcher, location, what, signal);
}

async function fetchArchive(
  fetcher: typeof fetch,
  location: string,
  what: string,
  signal?: AbortSignal,
): Promise<ReadableStream> {
  let response: Response;
  try {
    response = await fetcher(location, { signal, redirect: "follow" });
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") {
      throw new GitHubError(`${what}: cancelled`, { kind: "transient", cause: error });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new GitHubError(`${what}: cannot download the archive (${reason})`, { kind: "transient", cause: error });
  }
  if (response.ok && response.body) return response.body;
  const text = await response.text().catch(() => "");
  throw errorForStatus(
    what,
    { status: response.status, headers: Object.fromEntries(response.headers), data: text },
    {
      notFound: NOT_FOUND,
    },
  );
}

/**
 * The commit `ref` names in another repository (a box's `repository`), or its default branch's
 * head when `ref` is null. The installation's token reads it only if the app is installed there.
 */
export async function resolveCommit(gh: GitHubRepo, ref: string | null): Promise<string> {
  const { octokit, owner, repo } = gh;
  const notInstalled = `${gh.fullName} does not exist or the GitHub App is not installed on it`;
  const name =
    ref ??
    (
      await github(`reading ${gh.fullName}`, () => octokit.rest.repos.get({ owner, repo }), {
        notFound: notInstalled,
      })
    ).data.default_branch;
  const what = `resolving ${gh.fullName}@${name}`;
  try {
    const commit = await github(what, () => octokit.rest.repos.getCommit({ owner, repo, ref: name }), {
      notFound: ref === null ? notInstalled : `${gh.fullName} has no branch, tag or commit "${name}"`,
    });
    return commit.data.sha;
  } catch (error) {
    // GitHub answers 422 ("No commit found for SHA") to a ref that looks like a SHA but is none.
    if (error instanceof GitHubError && error.status === 422)
      throw new GitHubError(`${what}: ${gh.fullName} has no branch, tag or commit "${name}"`, { status: 422 });
    throw error;
  }
}
