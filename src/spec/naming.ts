import { createHash } from "node:crypto";

/** Kubernetes' limit for a DNS-1123 label (namespace names, label values). */
export const MAX_LABEL = 63;
const HASH_LENGTH = 6;

function shortHash(input: string): string {
  return createHash("sha256").update(input).digest("hex").slice(0, HASH_LENGTH);
}

/**
 * A readable DNS-1123 fragment: lower case, accents folded ("Größe" → "grosse"),
 * every run of other characters (slashes, dots, spaces, emoji) one dash, no dash at either end.
 * May be empty; `dnsLabel` deals with that.
 */
export function slugify(input: string): string {
  return input
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/ß/g, "ss")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * A valid DNS-1123 label of at most `max` characters built from `parts` joined by dashes.
 * Deterministic; readable (the slug of the input); when the slug had to be shortened or
 * lost characters to slugging, a short hash of the raw input keeps distinct inputs distinct.
 * `keepSuffix` is never truncated (e.g. "pr-42"): the prefix gives way instead.
 */
export function dnsLabel(
  prefix: string,
  options: { keepSuffix?: string; max?: number; hashWhenLossy?: boolean; hashSalt?: string } = {},
): string {
  const max = options.max ?? MAX_LABEL;
  const suffix = options.keepSuffix ? slugify(options.keepSuffix) : "";
  const head = slugify(prefix);
  const plain = [head, suffix].filter(Boolean).join("-");
  // A name that slugging changed beyond case ("a/b", "a.b", "ünï") gets a hash, so inputs
  // that slug alike still get different names; repository and branch names are case-insensitive.
  const faithful = head === prefix.toLowerCase() || options.hashWhenLossy === false;
  const lossless = faithful && plain.length <= max && head.length > 0;
  if (lossless) return plain;
  const salt = options.hashSalt === undefined ? "" : `${options.hashSalt}\u0000`;
  const hash = shortHash(`${salt}${prefix.toLowerCase()}\u0000${options.keepSuffix ?? ""}`);
  const room = max - hash.length - 1 - (suffix ? suffix.length + 1 : 0);
  const cut = head.slice(0, Math.max(0, room)).replace(/-+$/g, "");
  return [cut, hash, suffix].filter(Boolean).join("-");
}

/** True when `name` is a valid DNS-1123 label (what namespaces must be). */
export function isDnsLabel(name: string): boolean {
  return name.length > 0 && name.length <= MAX_LABEL && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

/** The namespace of a pull request's environment: `<slug(base)>-pr-<N>`. */
export function prNamespace(base: string, pr: number): string {
  return dnsLabel(base, { keepSuffix: `pr-${pr}` });
}

/**
 * The namespace of a pull request whose spec writes `namespace`: whatever the expression gave
 * (a variables-file value, a branch name, another PR's namespace) is only the readable prefix,
 * and the PR's own `-pr-<N>` always ends it, so no spec can name a namespace that is not its
 * PR's. A name that already ends in this PR's number (`shop-pr-${PRBOX_PR}`, `shop-${PRBOX_PR}`) is not
 * suffixed twice.
 */
export function prSpecNamespace(written: string, pr: number): string {
  // `shop-pr-${PRBOX_PR}` and `shop-${PRBOX_PR}` both mean "shop, for this PR": neither is suffixed twice.
  const own = [`-pr-${pr}`, `-${pr}`].find((suffix) => written.toLowerCase().endsWith(suffix));
  return prNamespace(own ? written.slice(0, -own.length) : written, pr);
}

/**
 * The namespace of a pull request whose spec names none: the repository's slug with a hash of
 * the forge and the repository, so a GitHub repository and its GitLab mirror (same path, same
 * PR numbers) never share a namespace. Repository paths always lose their `/`, so the hash is
 * always there.
 */
export function prRepoNamespace(forge: string, repo: string, pr: number): string {
  return dnsLabel(repo, { keepSuffix: `pr-${pr}`, hashSalt: forge });
}

/** The environment id of a pull request, unique across forges and repositories. */
export function prEnvironmentId(forge: string, repo: string, pr: number): string {
  return dnsLabel(`${forge}-${repo}`, { keepSuffix: `pr-${pr}` });
}

/**
 * A readable slug for use in names and hosts, like GitLab's CI_COMMIT_REF_SLUG
 * ("feature/Login" → "feature-login"); hashed only when it must be truncated to `max`.
 */
export function readableSlug(input: string, max = MAX_LABEL): string {
  return dnsLabel(input, { hashWhenLossy: false, max });
}
