// The parts of GitHub's webhook payloads prbox reads, checked once at the edge (docs/architecture.md §1: untrusted input is validated at the boundary).
// Probot's types describe what GitHub sends; a signed delivery that lacks those fields (someone
// holding the secret, a proxy that rewrote it) must be a 400, not a TypeError and a 500.
import { z } from "zod";
import { PrboxError } from "../../errors.js";

const repository = z.looseObject({ full_name: z.string().min(1) });
const installation = z.looseObject(
  { id: z.number().int().positive() },
  { error: "the delivery names no installation" },
);
const user = z.looseObject({ login: z.string(), type: z.string().optional() });
const sha = z.string().regex(/^[0-9a-f]{40}$/, { error: "expected a 40-digit commit SHA" });

export const pullRequestPayload = z.looseObject({
  action: z.string(),
  repository,
  installation,
  pull_request: z.looseObject({
    number: z.number().int().positive(),
    updated_at: z.string(),
    merged: z.boolean().nullish(),
    labels: z.array(z.looseObject({ name: z.string() })).nullish(),
    draft: z.boolean().nullish(),
    user: user.nullish(),
    head: z.looseObject({ ref: z.string(), sha, repo: z.looseObject({ full_name: z.string() }).nullable() }),
    base: z.looseObject({ repo: z.looseObject({ full_name: z.string() }) }),
  }),
});

export const commentPayload = z.looseObject({
  repository,
  installation,
  sender: user,
  issue: z.looseObject({ number: z.number().int().positive(), pull_request: z.looseObject({}).nullish() }),
  comment: z.looseObject({ id: z.number().int(), body: z.string(), created_at: z.string(), user: user.nullable() }),
});

export const checkSuitePayload = z.looseObject({
  repository,
  installation,
  check_suite: z.looseObject({
    head_sha: sha,
    pull_requests: z.array(z.looseObject({ number: z.number().int().positive() })).nullish(),
  }),
});

export const statusPayload = z.looseObject({ repository, installation, sha, state: z.string() });

/** A delivery whose payload lacks what prbox reads. `status` is what Probot's middleware answers. */
export class BadPayloadError extends PrboxError {
  readonly status = 400;
}

/** Throws a BadPayloadError naming the first problem unless `payload` has the shape `schema` checks. */
export function checkPayload(schema: z.ZodType, payload: unknown, event: string): void {
  const result = schema.safeParse(payload);
  if (result.success) return;
  const issue = result.error.issues[0];
  const where = issue?.path.join(".");
  throw new BadPayloadError(
    `not a ${event} payload prbox can use: ${where ? `${where}: ` : ""}${issue?.message ?? "invalid"}`,
  );
}
