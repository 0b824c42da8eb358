import type { PrContext, RenderedEnvironment } from "../model.js";
import type { RenderPolicy } from "../spec/context.js";
import { loadSpec } from "../spec/load.js";
import type { FetchText } from "../spec/remote.js";
import type { FetchSources } from "../spec/sources.js";
import { renderEnvironment } from "../render/render.js";

export interface RenderSpecOptions {
  file: string;
  root?: string;
  pr?: PrContext | null;
  set?: Record<string, string>;
  /** The process environment; ignored in PR mode. */
  env?: Record<string, string | undefined>;
  policy?: RenderPolicy;
  helm?: string;
  fetchRemote?: FetchText;
  /** Other repositories' sources for boxes that name a `repository`. */
  fetchSources?: FetchSources;
  signal?: AbortSignal;
  /** See RenderOptions.onHelmStarted. */
  onHelmStarted?: () => void;
}

/** environment.toml → the objects to apply: the whole pure half of prbox, used by the CLI and the worker alike. */
export async function renderSpec(options: RenderSpecOptions): Promise<RenderedEnvironment> {
  const spec = await loadSpec({
    file: options.file,
    root: options.root,
    pr: options.pr ?? null,
    set: options.set,
    env: options.pr ? {} : options.env,
    policy: options.policy,
    fetchRemote: options.fetchRemote,
    fetchSources: options.fetchSources,
  });
  return renderEnvironment(spec, { helm: options.helm, signal: options.signal, onHelmStarted: options.onHelmStarted });
}
