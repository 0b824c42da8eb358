/** `text` on one line, cut to `max` characters (not UTF-16 units), with an ellipsis when cut. */
export function cut(text: string, max: number): string {
  const chars = Array.from(text.replace(/\s+/g, " ").trim());
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("")}…`;
}
