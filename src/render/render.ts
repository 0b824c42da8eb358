import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { mapLimit } from "../limit.js";
import { RenderError } from "../errors.js";
import type { EnvironmentInfo, RenderedEnvironment, RenderedObject } from "../model.js";
import type { RenderPolicy } from "../spec/context.js";
import type { ResolvedBox } from "../spec/boxes.js";
import type { ResolvedSpec } from "../spec/load.js";
import { findHelm } from "./helm-binary.js";
import { renderHelmBox } from "./helm-box.js";
import { renderManifestsBox } from "./manifests-box.js";
import { checkNetwork } from "./network-rules.js";
import { hookInfo, type SourcedObject } from "./objects.js";
import { assertUnique, placeObject } from "./policy.js";
import { checkRbac } from "./rbac-rules.js";
import { previewUrl } from "./url.js";

export interface RenderOptions {
  /** The helm binary; found with `findHelm` when absent and a helm box needs it. */
  helm?: string;
  signal?: AbortSignal;
  /**
   * Called once every helm box's process is started (never for a render without helm boxes):
   * `prbox run` starts its cluster work then, so it does not delay a helm process (main/cluster-flags.ts).
   */
  onHelmStarted?: () => void;
}

/**
 * Renders a resolved spec to the objects to apply. Pure apart from reading the sources and
 * running `helm template`: no cluster is involved. Boxes render in parallel, at most
 * `policy.renderConcurrency` at once (each is a helm process).
 */
export async function renderEnvironment(spec: ResolvedSpec, options: RenderOptions = {}): Promise<RenderedEnvironment> {
  const needsHelm = spec.boxes.some((box) => box.type === "helm");
  const helm = options.helm ?? (needsHelm ? await findHelm() : "");
  const scratch = await mkdtemp(path.join(os.tmpdir(), "prbox-render-"));
  const warnings = [...spec.warnings];
  try {
    let count = 0;
    const onSpawn = countdown(spec.boxes.filter((box) => box.type === "helm").length, options.onHelmStarted);
    const perBox = await mapLimit(spec.boxes, spec.policy.renderConcurrency, async (box) => {
      const sourced = await renderBox(box, { spec, helm, scratch, signal: options.signal, onSpawn });
      // Counted as boxes finish, so a runaway environment stops before all of it is held in memory.
      count += sourced.length;
      checkCount(count, spec.policy);
      return placeBox(box, sourced, spec, warnings);
    });
    const objects = perBox.flat();
    if (spec.environment.pr) checkPullRequest(objects, spec.environment, spec.policy);
    assertUnique(objects.map((o) => ({ object: o.object, box: o.box, source: o.source })));
    const main = objects.filter((o) => o.phase === "main").map((o) => o.object);
    return {
      environment: { ...spec.environment, url: previewUrl(spec.environment.url, main) },
      boxes: spec.boxes.map((box) => box.name),
      sources: spec.boxes.flatMap((box) => (box.origin ? [{ box: box.name, ...box.origin }] : [])),
      objects,
      warnings,
      allowedKinds: spec.policy.allowKinds,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A callback that calls `done` on its `count`th call. */
function countdown(count: number, done: (() => void) | undefined): () => void {
  let left = count;
  return () => {
    left -= 1;
    if (left === 0) done?.();
  };
}

async function renderBox(
  box: ResolvedBox,
  ctx: { spec: ResolvedSpec; helm: string; scratch: string; signal?: AbortSignal; onSpawn: () => void },
): Promise<SourcedObject[]> {
  if (box.type === "manifests") return renderManifestsBox(box, box.tree);
  const scratch = path.join(ctx.scratch, `box-${box.index}-${box.name}`);
  const { policy, environment } = ctx.spec;
  const limits = {
    timeoutMs: policy.renderTimeoutMs,
    memoryMb: policy.renderMemoryMb,
    maxOutputMb: policy.renderMaxOutputMb,
  };
  return renderHelmBox(box, {
    tree: box.tree,
    helm: ctx.helm,
    scratch,
    limits,
    pullRequest: environment.pr !== null,
    signal: ctx.signal,
    onSpawn: ctx.onSpawn,
  });
}

function placeBox(
  box: ResolvedBox,
  sourced: SourcedObject[],
  spec: ResolvedSpec,
  warnings: string[],
): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const item of sourced) {
    const hook = hookInfo(item.object);
    const what = `${item.object.kind} ${item.object.metadata.name} (${item.source})`;
    if (hook.phase === null) {
      warnings.push(
        `${what} is a helm hook prbox does not run (${item.object.metadata.annotations?.["helm.sh/hook"]}); skipped`,
      );
      continue;
    }
    if (hook.phase === "test" && !box.tests) {
      warnings.push(`${what} is a helm test; skipped: set tests = true on the box ${box.name} to run it`);
      continue;
    }
    out.push({
      object: placeObject(item, box, spec.environment, spec.policy),
      box: box.name,
      source: item.source,
      phase: hook.phase,
      deletePolicies: hook.deletePolicies,
    });
  }
  return out;
}

function checkCount(count: number, policy: RenderPolicy): void {
  if (count <= policy.renderMaxObjects) return;
  throw new RenderError(
    `the environment renders ${count} objects or more, more than the limit of ${policy.renderMaxObjects}`,
    {
      hint: "render fewer objects (a template loop?), or ask the operator to raise PRBOX_RENDER_MAX_OBJECTS",
    },
  );
}

/** The rules only a pull request's environment is held to: its RBAC and its network stay its own. */
function checkPullRequest(objects: readonly RenderedObject[], env: EnvironmentInfo, policy: RenderPolicy): void {
  if (!env.pr) return;
  checkRbac(objects, [env.namespace, ...env.extraNamespaces], policy);
  checkNetwork(objects, env.pr.pr, policy);
}
