import { SpecError } from "../errors.js";
import type { SpecContext } from "./context.js";
import { remoteBoxesSchema, type RawBox } from "./schema.js";
import { parseToml, type TomlSource } from "./toml.js";
import { validate } from "./validate.js";
import type { Variables } from "./variables.js";

export type FetchText = (url: URL, signal: AbortSignal) => Promise<string>;

const REMOTE_TIMEOUT_MS = 10_000;
const REMOTE_MAX_BYTES = 1 << 20;

/** Plain `fetch`, bounded in time and size. */
export const fetchText: FetchText = async (url, signal) => {
  const response = await fetch(url, { signal, redirect: "error" });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const text = await response.text();
  if (text.length > REMOTE_MAX_BYTES) throw new Error(`larger than ${REMOTE_MAX_BYTES} bytes`);
  return text;
};

/**
 * k8sbox's `load_boxes_from`: a TOML document of [[boxes]] at a URL. The CLI follows it; a pull
 * request may only name a host the operator allowed (the bot would otherwise fetch any URL).
 */
export async function loadRemoteBoxes(
  ctx: SpecContext,
  raw: string,
  vars: Variables,
  fetchImpl: FetchText = fetchText,
): Promise<{ source: TomlSource; boxes: RawBox[] }> {
  const location = ctx.locate(["load_boxes_from"]);
  const expanded = ctx.text(raw, ["load_boxes_from"], vars) ?? "";
  const url = URL.canParse(expanded) ? new URL(expanded) : null;
  if (!url || !["http:", "https:"].includes(url.protocol)) {
    throw new SpecError(`load_boxes_from = "${expanded}" is not an http(s) URL`, { location });
  }
  if (ctx.mode === "pr" && !ctx.policy.remoteHosts.includes(url.hostname)) {
    throw new SpecError(`load_boxes_from: fetching boxes from ${url.hostname} is not allowed for pull requests`, {
      location,
      hint: "commit the boxes to the repository, or ask the operator to add the host to PRBOX_REMOTE_BOXES_HOSTS",
    });
  }
  let text: string;
  try {
    text = await fetchImpl(url, AbortSignal.timeout(REMOTE_TIMEOUT_MS));
  } catch (cause) {
    throw new SpecError(`load_boxes_from: cannot fetch ${url.href}: ${(cause as Error).message}`, {
      location,
      kind: "transient",
      cause,
    });
  }
  const source = parseToml(url.href, text);
  return { source, boxes: validate(remoteBoxesSchema, source).boxes };
}
