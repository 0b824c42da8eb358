import { PrboxError, SpecError, type SourceLocation } from "../errors.js";
import type { SpecContext } from "./context.js";
import { sourceTree, type SourceTree } from "./paths.js";

/** Where a box's sources come from when it names another repository (issue 18). */
export interface BoxOrigin {
  /** "owner/name" (GitLab: "group/subgroup/name") on the PR's forge. */
  repository: string;
  /** The ref the spec asked for; null: that repository's default branch. */
  ref: string | null;
  /** The commit the sources are at; null for a local checkout the CLI was given. */
  commit: string | null;
}

export interface SourcesRequest {
  repository: string;
  ref: string | null;
  /** The field that named it (`boxes[1].repository`), for messages. */
  field: string;
  location: SourceLocation;
}

/**
 * Gives the sources of another repository: the bot fetches them through the forge with its own
 * credentials after checking the operator's allow-list; the CLI maps `--source owner/name=DIR`.
 * Throws a PrboxError naming the repository when it cannot (not allowed, not found, no such ref).
 */
export type FetchSources = (request: SourcesRequest) => Promise<{ root: string; commit: string | null }>;

/** A repository path on GitHub or GitLab: segments of letters, digits, `.`, `_` and `-`, at least owner/name. */
const REPOSITORY = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
/** A git ref name, loosely: printable ASCII without spaces or `~^:?*[\`, no `..`, not starting with `-`. */
const REF = /^(?!-)(?!.*\.\.)[!-~]+$/;
const REF_FORBIDDEN = /[~^:?*[\\]/;

/** Without a way to fetch (the CLI without --source for it): a clear error. */
export const noSources: FetchSources = ({ repository, field, location }) =>
  Promise.reject(
    new SpecError(`${field} = "${repository}": this run has no sources for another repository`, {
      location,
      hint: `give a local checkout with --source ${repository}=DIR`,
    }),
  );

/** One fetch per repository and ref, shared by the boxes that name it. */
export class BoxSources {
  private readonly cache = new Map<string, Promise<{ tree: SourceTree; origin: BoxOrigin }>>();

  constructor(private readonly fetch: FetchSources) {}

  /** The tree a box's paths resolve in, and where it came from; throws a SpecError at the box's field. */
  of(
    ctx: SpecContext,
    index: number,
    repository: string,
    ref: string | null,
  ): Promise<{ tree: SourceTree; origin: BoxOrigin }> {
    const field = `boxes[${index}].repository`;
    const location = ctx.locate(["boxes", index, "repository"]);
    if (!REPOSITORY.test(repository) || repository.split("/").some((s) => s === "." || s === ".."))
      throw new SpecError(`${field} = "${repository}" is not a repository path`, {
        location,
        hint: 'write the repository as on the forge, e.g. repository = "acme/api"',
      });
    if (ref !== null && (!REF.test(ref) || REF_FORBIDDEN.test(ref)))
      throw new SpecError(`boxes[${index}].ref = "${ref}" is not a branch, tag or commit`, {
        location: ctx.locate(["boxes", index, "ref"]),
        hint: 'write a branch, tag or commit SHA, e.g. ref = "main"',
      });
    const key = `${repository}\n${ref ?? ""}`;
    let entry = this.cache.get(key);
    if (!entry) {
      entry = this.load({ repository, ref, field, location });
      this.cache.set(key, entry);
    }
    return entry;
  }

  private async load(request: SourcesRequest): Promise<{ tree: SourceTree; origin: BoxOrigin }> {
    let fetched: { root: string; commit: string | null };
    try {
      fetched = await this.fetch(request);
    } catch (error) {
      // A bug or a full disk is not the spec's: only prbox's own verdicts (not allowed, not found,
      // no such ref, the forge's outages with their kind) are said at the field that asked.
      if (error instanceof SpecError || !(error instanceof PrboxError)) throw error;
      throw new SpecError(`${request.field} = "${request.repository}": ${error.message}`, {
        location: request.location,
        hint: error.hint,
        kind: error.kind,
        cause: error,
      });
    }
    return {
      tree: await sourceTree(fetched.root, request.repository),
      origin: { repository: request.repository, ref: request.ref, commit: fetched.commit },
    };
  }
}
