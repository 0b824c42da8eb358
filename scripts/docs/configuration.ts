import { z } from "zod";
import { ConfigError, envSchema, loadConfig } from "../../src/config/config.js";
import { describeError } from "../../src/errors.js";
import { code, table } from "./markdown.js";

/** One setting as the reference shows it, read from envSchema (src/config/config.ts). */
export interface Setting {
  name: string;
  group: string;
  description: string | undefined;
  requirement: "required" | "required in production" | "optional";
  default: string | undefined;
  format: string;
}

interface JsonProperty {
  type?: string;
  enum?: string[];
  default?: unknown;
  /** The helpers' default (config.ts records it as metadata: JSON Schema drops defaults of transforms). */
  defaultValue?: string;
  format?: string;
  pattern?: string;
  description?: string;
}

/** Groups in the order the page shows them; a setting goes to the first whose rule matches. */
const GROUPS: { title: string; matches: (name: string) => boolean }[] = [
  { title: "Process and webhook server", matches: (n) => ["NODE_ENV", "LOG_LEVEL", "HOST", "PORT"].includes(n) },
  { title: "GitHub App", matches: (n) => /^(APP_ID|PRIVATE_KEY|WEBHOOK_|GHE_)/.test(n) },
  { title: "GitLab", matches: (n) => n.startsWith("GITLAB_") },
  { title: "Redis", matches: (n) => n.startsWith("PRBOX_REDIS_") },
  { title: "Kubernetes", matches: (n) => n === "KUBECONFIG" || n.startsWith("PRBOX_ENVIRONMENT_") },
  { title: "Which pull requests are deployed", matches: (n) => /^PRBOX_(SPEC_PATH|REQUIRED_|DEPLOY_FORKS|SKIP_|BOT_AUTHORS|PATHS)/.test(n) },
  { title: "What a spec may do", matches: (n) => /^PRBOX_(ALLOW_|REMOTE_|BOX_REPOSITORIES)/.test(n) },
  { title: "Capacity and lifetimes", matches: (n) => /^PRBOX_(MAX_|IDLE_|SWEEP_|DEPLOY_TIMEOUT|WORKER_)/.test(n) },
  { title: "Environments page", matches: (n) => n.startsWith("PRBOX_PAGE_") },
  { title: "Other settings", matches: () => true },
];

function groupOf(name: string): string {
  return (GROUPS.find((g) => g.matches(name)) as { title: string }).title;
}

/** The names a configuration's cross-checks complain about, e.g. the ones production requires. */
function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

function namesIn(problems: string[]): Set<string> {
  return new Set(problems.map((p) => p.split(":")[0] ?? ""));
}

function formatOf(property: JsonProperty): string {
  if (property.enum) return `one of ${property.enum.filter((v) => v !== "").map(code).join(", ")}`;
  if (property.format === "uri") return "URL";
  if (property.pattern) return `text matching ${code(property.pattern)}`;
  return property.format ?? "text";
}

/** Every setting of envSchema, in schema order. */
export function settings(): Setting[] {
  const json = z.toJSONSchema(envSchema, { io: "input", unrepresentable: "any" }) as {
    properties: Record<string, JsonProperty>;
    required?: string[];
  };
  const inProduction = namesIn(problemsFor({ NODE_ENV: "production" }));
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    group: groupOf(name),
    description: property.description,
    requirement: json.required?.includes(name) ? "required" : inProduction.has(name) ? "required in production" : "optional",
    default: property.default === undefined ? property.defaultValue : String(property.default),
    format: formatOf(property),
  }));
}

/** The cross-checks between settings, shown with the messages the code really gives. */
const CROSS_CHECKS: { when: string; env: Record<string, string> }[] = [
  { when: "NODE_ENV=production without the settings production needs", env: { NODE_ENV: "production" } },
  { when: "APP_ID without a private key", env: { APP_ID: "123456" } },
  { when: "only one of the two GitLab settings", env: { GITLAB_TOKEN: "glpat-example" } },
  { when: "a Redis URL that is not one", env: { PRBOX_REDIS_URL: "localhost:6379" } },
];

function settingSection(setting: Setting): string {
  const facts = [
    setting.requirement,
    setting.default === undefined ? "no default" : `default ${code(setting.default === "" ? '""' : setting.default)}`,
    setting.format,
  ];
  // Descriptions are plain text: a "<host>" in one must not turn into an HTML tag.
  const description = (setting.description ?? "(no description)").replace(/</g, "&lt;");
  return [`### ${setting.name}`, "", `*${facts.join(" · ")}*`, "", description].join("\n");
}

function groupsInOrder(all: Setting[]): { title: string; members: Setting[] }[] {
  return GROUPS.map((g) => ({ title: g.title, members: all.filter((s) => s.group === g.title) })).filter((g) => g.members.length > 0);
}

const anchor = (name: string) => `#${name.toLowerCase()}`;

/** docs/configuration.md, whole. */
export function configurationReference(): string {
  const all = settings();
  const groups = groupsInOrder(all);
  const index = table(
    ["Setting", "Group", "Default", "Required"],
    all.map((s) => [`[${s.name}](${anchor(s.name)})`, s.group, s.default === undefined ? "" : code(s.default), s.requirement === "optional" ? "" : s.requirement]),
  );
  const example = describeError(new ConfigError(problemsFor({ NODE_ENV: "production", PRBOX_DEPLOY_TIMEOUT: "soon", PRBOX_MAX_ENVIRONMENTS: "-1" })));
  const checks = CROSS_CHECKS.map(({ when, env }) => [when, problemsFor(env).map(code).join("<br>")]);
  return [
    "# Configuration reference",
    "",
    "<!-- Generated by `npm run docs` (scripts/docs.ts) from envSchema in src/config/config.ts; edit the schema's `.describe()` texts, not this file. -->",
    "",
    "prbox's server and worker (`prbox start`, `prbox server`, `prbox worker`) read their settings from",
    "environment variables, and from a `.env` file in the working directory for the variables the",
    "environment does not set. Everything is checked at start-up; every problem is one line, e.g.:",
    "",
    "```",
    `error: ${example}`,
    "```",
    "",
    "Give the server and the worker processes of one installation the same settings; each description",
    "says which part acts on it. The CLI verbs (`render`, `run`, `get`, `describe`, `delete`) take",
    "flags instead and read only `KUBECONFIG` from this list. [.env.example](../.env.example) lists",
    "every setting with a short comment; the Helm chart ([charts/prbox](../charts/prbox/README.md)) sets them from its values.",
    "",
    index,
    "",
    ...groups.flatMap((g) => [`## ${g.title}`, "", ...g.members.flatMap((s) => [settingSection(s), ""])]),
    "## Checks between settings",
    "",
    table(["When", "The message"], checks),
    "",
    "## Read outside this schema",
    "",
    table(
      ["Variable", "What it does"],
      [
        ["`PRBOX_VAR_<NAME>`", "A variable every spec may use as `${NAME}`, e.g. `PRBOX_VAR_BASE_DOMAIN=preview.example.com`. The only way the bot's environment reaches a spec; these values win over every other variable source (see [environment-toml.md](environment-toml.md#variables))."],
        ["`HELM_BIN`", "The helm binary to render charts with. Default: `helm` on `PATH`, then the copy `scripts/install-helm` cached."],
        ["`PRBOX_CACHE`", "prbox's cache directory (the cached helm, the development Redis's data). Default: `$XDG_CACHE_HOME/prbox`, else `~/.cache/prbox`."],
        ["`REDIS_URL`", "Not read by prbox: Probot uses it for its own throttling. prbox's Redis is `PRBOX_REDIS_URL`."],
      ],
    ),
    "",
  ].join("\n");
}
