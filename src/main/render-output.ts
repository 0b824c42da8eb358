import { stringify } from "yaml";
import type { RenderedEnvironment } from "../model.js";

export function renderJson(rendered: RenderedEnvironment): string {
  const { id, name, namespace, url } = rendered.environment;
  return `${JSON.stringify({ environment: { id, name, namespace, url }, objects: rendered.objects.map((o) => o.object) }, null, 2)}\n`;
}

/** A multi-document stream `kubectl apply -f -` accepts; a comment names each object's source. */
export function renderYaml(rendered: RenderedEnvironment): string {
  return rendered.objects
    .map(
      (o) =>
        `---\n# Source: ${o.source} (box ${o.box}${o.phase === "main" ? "" : `, ${o.phase} hook`})\n${stringify(o.object, { lineWidth: 0 })}`,
    )
    .join("");
}
