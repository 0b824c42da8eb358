/** Markdown pieces of prbox's PR comments that keep what they quote inert. */

export const short = (sha: string) => `\`${sha.slice(0, 7)}\``;

export function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}

/** One line as a code span: like `fence`, no markdown (mentions, links, images) inside comes alive. */
export function inlineCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks} ${text} ${ticks}`;
}
