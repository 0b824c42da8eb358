/**
 * Path filters as GitHub Actions writes them (`on.pull_request.paths`), which most people who set
 * PRBOX_PATHS already know: `*` matches within one path segment, `**` across segments, `?` one
 * character; a pattern starting with `!` excludes what it matches; the last pattern that matches
 * a file decides. `src/**`, `!src/**\/*.md` deploys for code under src/ but not for its docs.
 */
export type PathMatcher = (file: string) => boolean;

export function pathMatcher(patterns: readonly string[]): PathMatcher {
  const rules = patterns.map((pattern) => {
    const exclude = pattern.startsWith("!");
    return { exclude, re: globRegExp(exclude ? pattern.slice(1) : pattern) };
  });
  return (file) => {
    let matched = false;
    for (const rule of rules) if (rule.re.test(file)) matched = !rule.exclude;
    return matched;
  };
}

/** A login pattern (PRBOX_BOT_AUTHORS): `*` matches any characters, letters in either case. */
export function loginMatcher(patterns: readonly string[]): (login: string) => boolean {
  const res = patterns.map((pattern) => new RegExp(`^${pattern.split("*").map(escape).join(".*")}$`, "i"));
  return (login) => res.some((re) => re.test(login));
}

function globRegExp(glob: string): RegExp {
  const trimmed = glob.replace(/^\/+/, "");
  let out = "";
  for (let i = 0; i < trimmed.length; i++) {
    const char = trimmed.charAt(i);
    if (char === "*" && trimmed[i + 1] === "*") {
      // `**/` may match no directory at all (`src/**/a.ts` matches src/a.ts); `**` elsewhere anything.
      const slash = trimmed[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (char === "*") out += "[^/]*";
    else if (char === "?") out += "[^/]";
    else out += escape(char);
  }
  return new RegExp(`^${out}$`);
}

function escape(text: string): string {
  return text.replace(/[.+^${}()|[\]\\?*]/g, "\\$&");
}
