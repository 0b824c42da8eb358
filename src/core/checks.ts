/**
 * The verdict on a commit's required checks, the same on both forges: GitHub's check runs and
 * commit statuses (src/forges/github/checks.ts), GitLab's pipeline jobs (src/forges/gitlab/pipelines.ts).
 */
export interface ChecksVerdict {
  /** Every required check finished, or one already failed. */
  settled: boolean;
  passed: boolean;
  summary: string;
}

/** One required check as its forge reports it; a name the forge does not know is pending. */
export interface CheckOutcome {
  name: string;
  state: "passed" | "failed" | "pending";
}

/** Failed as soon as one failed (naming it), passed when all passed, else not settled. */
export function verdictOf(outcomes: readonly CheckOutcome[], sha: string): ChecksVerdict {
  const failed = outcomes.filter((o) => o.state === "failed").map((o) => o.name);
  if (failed.length > 0)
    return {
      settled: true,
      passed: false,
      summary: `the check${failed.length > 1 ? "s" : ""} ${failed.join(", ")} failed on \`${sha.slice(0, 7)}\``,
    };
  const pending = outcomes.filter((o) => o.state === "pending").map((o) => o.name);
  if (pending.length > 0) return { settled: false, passed: false, summary: `waiting for ${pending.join(", ")}` };
  return { settled: true, passed: true, summary: "all required checks passed" };
}
