// The parts of GitLab's webhook payloads prbox reads, checked once at the edge (docs/architecture.md §1: untrusted input is validated at the boundary).
// Field names follow GitLab's webhook documentation ("Merge request events", "Comment events",
// "Pipeline events");
// gitbeaker's WebhookMergeRequestEventSchema / WebhookMergeRequestNoteEventSchema describe the
// same payloads but lack `oldrev`, and a type is no check. Everything else is ignored.
import { z } from "zod";

/**
 * GitLab writes times as "2013-12-03T17:23:34Z" in some payloads and "2013-12-03 17:23:34 UTC"
 * in others; both become ISO 8601 in UTC with milliseconds, so string comparison orders them.
 */
export function normaliseTime(value: string): string | null {
  const iso = value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?UTC$/, "$1T$2Z");
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso)) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

const time = z.string().transform((value, ctx) => {
  const iso = normaliseTime(value);
  if (iso === null) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a time` });
    return z.NEVER;
  }
  return iso;
});

const labels = z
  .array(z.object({ title: z.string() }))
  .nullish()
  .transform((list) => (list ?? []).map((label) => label.title));

const sha = z.string().regex(/^[0-9a-f]{40,64}$/);

const project = z.object({
  id: z.number().int().positive(),
  path_with_namespace: z.string().min(1),
});

/** Just enough of a Note Hook to tell a note on a merge request from one on an issue, commit or snippet. */
export const noteHead = z.object({
  object_attributes: z.object({ noteable_type: z.string() }),
});

/** A change GitLab reports in an update's `changes`: the value before and after. */
const change = <T extends z.ZodType>(value: T) => z.object({ previous: value.nullish(), current: value.nullish() });

export const mergeRequestHook = z.object({
  object_kind: z.literal("merge_request"),
  /** Who did what the hook reports (on "open", the author). */
  user: z.object({ id: z.number().int(), username: z.string().min(1) }).nullish(),
  project,
  object_attributes: z.object({
    iid: z.number().int().positive(),
    action: z.string(),
    source_branch: z.string().min(1),
    source_project_id: z.number().int(),
    target_project_id: z.number().int(),
    updated_at: time,
    /** Present only when the update brought new commits. */
    oldrev: z.string().nullish(),
    last_commit: z.object({ id: sha }).nullish(),
    labels,
    title: z.string().nullish(),
    author_id: z.number().int().nullish(),
    /** `draft` since GitLab 13.x; `work_in_progress`, its old name, in older payloads. */
    draft: z.boolean().nullish(),
    work_in_progress: z.boolean().nullish(),
  }),
  changes: z
    .object({
      labels: z.object({ previous: labels, current: labels }).optional(),
      /** Since GitLab 16.x; before, a title gaining or losing its "Draft:" prefix is the only sign. */
      draft: change(z.boolean()).optional(),
      title: change(z.string()).optional(),
    })
    .optional(),
});

export type MergeRequestHook = z.infer<typeof mergeRequestHook>;

export const mergeRequestNoteHook = z.object({
  object_kind: z.literal("note"),
  user: z.object({ id: z.number().int(), username: z.string().min(1) }),
  project,
  object_attributes: z.object({
    id: z.number().int().positive(),
    note: z.string(),
    noteable_type: z.literal("MergeRequest"),
    system: z.boolean().nullish(),
    /** "create" or "update" (an edit), since GitLab 16.11; absent before. */
    action: z.string().nullish(),
    created_at: time,
  }),
  merge_request: z.object({
    iid: z.number().int().positive(),
    labels,
  }),
});

export type MergeRequestNoteHook = z.infer<typeof mergeRequestNoteHook>;

/**
 * A Pipeline Hook ("Pipeline events"): the pipeline, the merge request it ran for (null for a
 * branch or tag pipeline) and its latest jobs (`builds`: retried ones are left out, bridges and
 * external commit statuses are not jobs). GitLab sends one on every change of the pipeline's status.
 */
export const pipelineHook = z.object({
  object_kind: z.literal("pipeline"),
  project,
  object_attributes: z.object({
    id: z.number().int().positive(),
    /** The branch or tag; for a merge request pipeline the MR's source branch. */
    ref: z.string(),
    tag: z.boolean().nullish(),
    sha,
    status: z.string(),
    source: z.string().nullish(),
  }),
  merge_request: z
    .object({
      iid: z.number().int().positive(),
      source_project_id: z.number().int(),
      target_project_id: z.number().int(),
    })
    .nullish(),
  builds: z
    .array(z.object({ name: z.string(), status: z.string(), allow_failure: z.boolean().nullish() }))
    .nullish()
    .transform((builds) => builds ?? []),
});

export type PipelineHook = z.infer<typeof pipelineHook>;

/** One line naming the first problem, for the 400 answer and the log. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid payload";
  const where = issue.path.join(".");
  return where ? `${where}: ${issue.message}` : issue.message;
}
