import { z } from "zod";

/**
 * The shape of environment.toml: k8sbox v1.2.1's fields plus prbox's (`url`, box type
 * `manifests`). Unknown keys are kept so the loader can warn about them: k8sbox ignored
 * them, so a valid k8sbox file with extra keys must still load.
 */
export const BOX_TYPES = ["helm", "manifests"] as const;

const text = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) });

export const applicationSchema = z.looseObject({
  name: text("name").optional(),
  chart: text("chart"),
});

export const boxSchema = z.looseObject({
  type: z.enum(BOX_TYPES, {
    error: (issue) =>
      issue.input === undefined
        ? 'type is required: write type = "helm" or type = "manifests"'
        : `type = ${JSON.stringify(issue.input)} is not a box type: use "helm" or "manifests"`,
  }),
  name: text("name").optional(),
  chart: text("chart").optional(),
  values: text("values").optional(),
  namespace: text("namespace").optional(),
  variables: text("variables").optional(),
  /** prbox: the box's paths are in this repository of the same forge ("owner/name"), not the PR's. */
  repository: text("repository").optional(),
  /** prbox: the branch, tag or commit of `repository` (default: its default branch). */
  ref: text("ref").optional(),
  /** prbox: run the chart's Helm test hooks once the environment is ready. */
  tests: z.boolean({ error: "tests must be true or false" }).optional(),
  applications: z
    .array(applicationSchema, { error: "applications must be a list of [[boxes.applications]] tables" })
    .optional(),
});

export const specSchema = z.looseObject({
  id: text("id").optional(),
  name: text("name").optional(),
  namespace: text("namespace").optional(),
  variables: text("variables").optional(),
  url: text("url").optional(),
  /** prbox: request the addresses the Ingresses serve before saying ready (true, false, or a path such as "/healthz"). */
  probe: z
    .union([z.boolean(), z.string()], { error: 'probe must be true, false or a path such as "/healthz"' })
    .optional(),
  load_boxes_from: text("load_boxes_from").optional(),
  boxes: z.array(boxSchema, { error: "boxes must be a list of [[boxes]] tables" }).optional(),
});

export const remoteBoxesSchema = z.looseObject({
  boxes: z.array(boxSchema, { error: "boxes must be a list of [[boxes]] tables" }),
});

export type RawSpec = z.infer<typeof specSchema>;
export type RawBox = z.infer<typeof boxSchema>;
export type RawApplication = z.infer<typeof applicationSchema>;

export const KNOWN_KEYS = {
  spec: Object.keys(specSchema.shape),
  box: Object.keys(boxSchema.shape),
  application: Object.keys(applicationSchema.shape),
};
