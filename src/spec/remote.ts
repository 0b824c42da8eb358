import { SpecError } from "../errors.js";
import type { SpecContext } from "./context.js";
import { remoteBoxesSchema, type RawBox } from "./schema.js";
import { parseToml, type TomlSource } from "./toml.js";
import { validate } from "./validate.js";
import type { Variables } from "./variables.js";

export type FetchText = (url: URL, signal: AbortSignal) => Promise<string>;

const REMOTE_TIMEOUT_MS = 10_000;
const REMOTE_MAX_BYTES = 1 << 20;

/** A remote document over the limit: the same URL would be too large again (permanent). */
export class RemoteTooLarge extends Error {}

/** Plain `fetch`, bounded in time and size: the size is counted while the body streams in, so an endless body stops at 1 MiB. */
export const fetchText: FetchText = async (url, signal) => {
  const response = await fetch(url, { signal, redirect: "error" });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const tooLarge = () => new RemoteTooLarge(`the document is larger than ${REMOTE_MAX_BYTES / 1024} KiB`);
  if (Number(response.headers.get("content-length") ?? 0) > REMOTE_MAX_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    if (size > REMOTE_MAX_BYTES) {
      await response.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
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
  // url.host carries the port unless it is the scheme's default: "config.example.com" allows only
  // that host's default port, "config.example.com:8443" that port.
  if (ctx.mode === "pr" && !ctx.policy.remoteHosts.includes(url.host)) {
    throw new SpecError(`load_boxes_from: fetching boxes from ${url.host} is not allowed for pull requests`, {
      location,
      hint: `commit the boxes to the repository, or ask the operator to add ${url.host} to PRBOX_REMOTE_BOXES_HOSTS`,
    });
  }
  let text: string;
  try {
    text = await fetchImpl(url, AbortSignal.timeout(REMOTE_TIMEOUT_MS));
  } catch (cause) {
    throw new SpecError(`load_boxes_from: cannot fetch ${url.href}: ${(cause as Error).message}`, {
      location,
      kind: cause instanceof RemoteTooLarge ? "permanent" : "transient",
      cause,
    });
  }
  const source = parseToml(url.href, text);
  return { source, boxes: validate(remoteBoxesSchema, source).boxes };
}
