import type { PrContext } from "../model.js";
import { readableSlug } from "./naming.js";

/** Built-ins whose value differs between pull requests (the docs mark them). */
export const PR_SPECIFIC = ["PRBOX_PR", "PRBOX_BRANCH", "PRBOX_BRANCH_SLUG", "PRBOX_ENV_ID"] as const;

/** The PRBOX_* variables of a pull request (docs/environment-toml.md, "Built-in variables"), without PRBOX_NAMESPACE, which depends on them. */
export function prBuiltins(pr: PrContext, envId: string): Record<string, string> {
  return {
    PRBOX_FORGE: pr.forge,
    PRBOX_REPO: pr.repo,
    PRBOX_REPO_SLUG: readableSlug(pr.repo),
    PRBOX_PR: String(pr.pr),
    PRBOX_BRANCH: pr.branch,
    PRBOX_BRANCH_SLUG: readableSlug(pr.branch),
    PRBOX_SHA: pr.sha,
    PRBOX_SHORT_SHA: pr.sha.slice(0, 7),
    PRBOX_ENV_ID: envId,
  };
}
