import { z } from "zod";
import { baselineEnv } from "./baseline.js";
import { count, duration, flag, flagOn, list, price } from "./schema-types.js";

/**
 * Every setting prbox reads from the environment: one zod schema, validated once at start-up by
 * loadConfig (config.ts). docs/configuration.md is generated from it (scripts/docs.ts) and
 * .env.example lists every variable with a comment (a test checks both).
 */
export const envSchema = z.object({
  NODE_ENV: z
    .enum(["development", "production", "test"], { error: "expected development, production or test" })
    .default("development")
    .describe(
      "development: friendly defaults (the Redis default, a private redis-server when none answers, Probot's setup page at /probot). production: WEBHOOK_SECRET and PRBOX_REDIS_URL are required and nothing is started for you. test: used by the test suite. All processes.",
    ),
  LOG_LEVEL: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal"], {
      error: "expected trace, debug, info, warn, error or fatal",
    })
    .default("info")
    .describe(
      "The lowest level written to the JSON log on stdout (pino). Tokens, secrets and authorization headers are redacted at every level. All processes.",
    ),
  HOST: z
    .string()
    .default("localhost")
    .describe(
      "The address the webhook server listens on. Use 0.0.0.0 in a container. Server (`prbox start`, `prbox server`).",
    ),
  PORT: count(3000).describe(
    "The webhook server's port: /api/github/webhooks, /api/gitlab/webhooks, /healthz, /readyz and /metrics. Server.",
  ),
  APP_ID: z
    .string()
    .optional()
    .describe(
      "The GitHub App's id. Without it (outside production) the server opens Probot's setup page at /probot, which registers the app from app.yml and writes APP_ID, PRIVATE_KEY and WEBHOOK_SECRET into .env. Needs PRIVATE_KEY or PRIVATE_KEY_PATH. Server and worker (the worker asks for installation tokens).",
    ),
  PRIVATE_KEY: z
    .string()
    .optional()
    .describe(
      "The GitHub App's private key, PEM text (newlines may be written as \\n). Or use PRIVATE_KEY_PATH. Server and worker.",
    ),
  PRIVATE_KEY_PATH: z
    .string()
    .optional()
    .describe(
      "A file holding the GitHub App's private key (.pem), instead of PRIVATE_KEY; e.g. /var/run/secrets/prbox/private-key.pem. Server and worker.",
    ),
  WEBHOOK_SECRET: z
    .string()
    .optional()
    .describe(
      'The GitHub App\'s webhook secret: Probot verifies X-Hub-Signature-256 with it and answers 400 to a delivery that does not match. Required in production (Probot would otherwise accept the secret "development"). Server.',
    ),
  WEBHOOK_PROXY_URL: z
    .url({ error: "expected a URL, e.g. https://smee.io/abc123" })
    .optional()
    .describe(
      "Local development only: a smee.io channel that forwards GitHub's webhooks to this machine, e.g. https://smee.io/abc123 (Probot's setup flow creates one). Server.",
    ),
  GHE_HOST: z
    .string()
    .optional()
    .describe(
      "GitHub Enterprise Server: its host name, e.g. github.example.com; the API is then https://HOST/api/v3. Empty: github.com. Server and worker.",
    ),
  GHE_PROTOCOL: z
    .enum(["https", "http"])
    .optional()
    .describe("GitHub Enterprise Server: the protocol of GHE_HOST; https when unset. Server and worker."),
  PRBOX_REDIS_URL: z
    .string()
    .optional()
    .describe(
      "Redis for the queue and the environments' desired state: redis://[user:password@]host:port[/db], or rediss:// for TLS; redis+sentinel://[user:password@]host:26379[,host:26379…]/master[/db][?sentinelPassword=…] for Sentinel; redis+cluster://[user:password@]host:port[,host:port…] for a Redis Cluster (see docs/operations.md). Not REDIS_URL, which Probot reads for its own throttling. Default in development: redis://127.0.0.1:6379. Required in production; use a Redis with persistence (AOF), see docs/operations.md. Server and worker.",
    ),
  PRBOX_REDIS_REPLICAS: z.coerce
    .number({ error: "expected a whole number" })
    .int({ error: "expected a whole number" })
    .min(0, { error: "at least 0" })
    .optional()
    .describe(
      "How many Redis replicas must hold a webhook's write before the delivery is answered 2xx (Redis WAIT, at most 1 s; fewer: 503, and the forge redelivers). Makes a failover lose nothing acknowledged. Default: 1 with redis+sentinel://, 0 otherwise. Server and worker.",
    ),
  PRBOX_REDIS_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_-]+|\{[A-Za-z0-9_-]+\})$/, {
      error: "letters, digits, _ and - only, or those in braces ({prbox}, for a Redis Cluster)",
    })
    .default("prbox")
    .describe(
      "Prefix of every Redis key prbox and its queue write, so several installations can share one Redis. Servers and workers of one installation must use the same. With redis+cluster:// it is used as a hash tag (prbox → {prbox}), so all keys share one slot. Server and worker.",
    ),
  KUBECONFIG: z
    .string()
    .optional()
    .describe(
      "The kubeconfig file of the cluster previews go to. Empty: ~/.kube/config, or the Pod's service account when running in a cluster. Worker (and the server's /readyz check).",
    ),
  GITLAB_URL: z
    .url({ error: "expected the GitLab base URL, e.g. https://gitlab.example.com" })
    .default("https://gitlab.com")
    .describe(
      "The GitLab instance, without /api/v4: https://gitlab.com or e.g. https://gitlab.example.com for self-managed GitLab. GitLab; server and worker.",
    ),
  GITLAB_TOKEN: z
    .string()
    .optional()
    .describe(
      "A project, group or personal access token of a bot user with the api scope and at least the Developer role. GitLab is served only when GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET are both set (on servers and workers). GitLab; server and worker.",
    ),
  GITLAB_WEBHOOK_SECRET: z
    .string()
    .optional()
    .describe(
      "The secret token of the GitLab webhook, compared in constant time with X-Gitlab-Token. Set it together with GITLAB_TOKEN. GitLab; server and worker.",
    ),
  PRBOX_SPEC_PATH: z
    .string()
    .default("environment.toml")
    .describe(
      "Where the spec lives in each repository, relative to its root, e.g. deploy/environment.toml. GitHub and GitLab; worker.",
    ),
  PRBOX_REQUIRED_LABEL: z
    .string()
    .optional()
    .describe(
      "Deploy only pull requests carrying this label, e.g. preview; the others wait and the PR says which label to add. Empty: every pull request. A maintainer's /deploy overrides it. GitHub and GitLab.",
    ),
  PRBOX_REQUIRED_CHECKS: list.describe(
    "Deploy a commit only once these checks passed on it, e.g. build,images: on GitHub names of check runs or commit statuses, on GitLab names of CI jobs (the job that builds the preview's images; GitLab needs the webhook's Pipeline events trigger). A GitLab job passes only with status success: failed (even with allow_failure), canceled or skipped fails, a manual job waits until played. Until then the PR says what it waits for; a maintainer's /deploy overrides it. Empty: no gate. GitHub and GitLab.",
  ),
  PRBOX_MAX_ENVIRONMENTS: count(0).describe(
    "At most this many live environments; above it a new one waits (the PR says so) until a teardown frees a place. Exact under any number of workers (an atomic claim in Redis, released on teardown). 0: no cap. Worker.",
  ),
  PRBOX_IDLE_TTL: duration("0s").describe(
    "Delete an environment whose pull request saw no event (push, comment, label) for this long, e.g. 72h; a new event deploys it again. 0s: never. Worker (the sweep).",
  ),
  PRBOX_EXPIRY_WARNING: duration("24h").describe(
    "With PRBOX_IDLE_TTL: how long before an idle preview is deleted its pull request is warned (a comment offering `/keep` and `/extend <duration>`), e.g. 24h; at most half of PRBOX_IDLE_TTL is used, so a warning does not follow every push. 0s: no warning. Worker (the sweep).",
  ),
  PRBOX_SLEEP_AFTER: duration("0s").describe(
    "Put a preview to sleep when its pull request saw no activity (push, comment, label, a visit that woke it) for this long, e.g. 8h: its Deployments and StatefulSets are scaled to zero (their replicas remembered on them) and its Ingresses point at prbox's waking page until a push, `/wake` or a visit wakes it (ADR 28). Shorter than PRBOX_IDLE_TTL when both are set. Needs PRBOX_WAKE_ADDRESS. 0s: never. Worker (the sweep).",
  ),
  PRBOX_WAKE_ADDRESS: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*:[0-9]{1,5}$/, {
      error: "expected host:port, a DNS name the ingress controller resolves, e.g. prbox.prbox.svc.cluster.local:3000",
    })
    .optional()
    .describe(
      "With PRBOX_SLEEP_AFTER: where the ingress controller reaches prbox's server (host:port, a DNS name, e.g. prbox.prbox.svc.cluster.local:3000). A sleeping preview's Ingresses point at a Service of type ExternalName with this name, so a visit reaches prbox's waking page; the controller must allow ExternalName backends (ingress-nginx does; Traefik needs allowExternalNameServices). Keep it set after turning sleep off until no preview sleeps: the server answers the waking page while it is set. Server and worker.",
    ),
  PRBOX_SWEEP_INTERVAL: duration("10m").describe(
    "How often the sweep runs: it deletes environments of closed pull requests (a missed webhook) and, with PRBOX_IDLE_TTL, idle ones, and forgets records of environments deleted over 7 days ago. One worker sweeps each time (a Redis lock). Worker.",
  ),
  PRBOX_DEPLOY_TIMEOUT: duration("5m").describe(
    "How long a deploy waits for its workloads to become ready (and a teardown for the namespace to disappear) before it reports the failure, e.g. 10m. Worker.",
  ),
  PRBOX_PROBE: flag.describe(
    'Ready means it answers: after the workloads are ready, request every address the environment\'s Ingresses serve until each answers below 500, for at most PRBOX_PROBE_TIMEOUT; the failure report names each address that did not and its last answer. A spec may turn it on or off, or name the path to ask on each host (probe = "/healthz"). Worker.',
  ),
  PRBOX_PROBE_TIMEOUT: duration("60s").describe(
    "How long the probe (PRBOX_PROBE or a spec's probe) asks the addresses before the deploy fails. Worker.",
  ),
  PRBOX_PRICE_CPU_HOUR: price.describe(
    "What one requested CPU costs per hour, e.g. 0.0316. With PRBOX_PRICE_GIB_HOUR the ready comment estimates the environment's cost per day from its pods' requests × replicas; without, it shows the requests only. Worker.",
  ),
  PRBOX_PRICE_GIB_HOUR: price.describe(
    "What one requested GiB of memory costs per hour, e.g. 0.0042 (see PRBOX_PRICE_CPU_HOUR). Worker.",
  ),
  PRBOX_PRICE_CURRENCY: z
    .string()
    .max(5, { error: "at most 5 characters, e.g. $, €, USD " })
    .default("$")
    .describe("The currency shown before the prices and the estimate, e.g. $, €, CHF . Worker."),
  PRBOX_DEPLOY_FORKS: flag.describe(
    "Deploy pull requests from forks without a maintainer's /deploy. Their code would run with the bot's cluster credentials: leave it false unless every contributor is trusted. GitHub and GitLab.",
  ),
  PRBOX_ALLOW_KINDS: list.describe(
    "Kinds a spec may deploy although prbox refuses them by default: cluster-scoped kinds (e.g. ClusterRole, CustomResourceDefinition) and objects of these kinds in another namespace. Comma-separated, e.g. ClusterRole,ClusterRoleBinding. Empty: none. Worker; see docs/environment-toml.md.",
  ),
  PRBOX_ALLOW_FOREIGN_NAMESPACES: flag.describe(
    "Let a box set its own namespace in a pull request's environment (k8sbox's box namespace). Off: every object goes into the environment's namespace and a box namespace that differs is an error. Worker.",
  ),
  PRBOX_REMOTE_BOXES_HOSTS: list.describe(
    "Host names a spec's load_boxes_from may fetch boxes from in a pull request, comma-separated, e.g. config.example.com (exact match). Empty: load_boxes_from is refused for pull requests (the CLI always follows it). Worker.",
  ),
  PRBOX_BOX_REPOSITORIES: list.describe(
    "Which repositories a pull request's boxes may be taken from (a box's `repository`, fetched with prbox's own credentials), comma-separated entries FROM:TO, e.g. acme/frontend:acme/api or acme/*:acme/* (the PR's repository, then the box's; `*` is one path segment, `**` any), or TO alone for every repository's previews. A PR's author chooses the values passed to that chart and could deploy code of a repository they cannot read: allow only what every author may use. Pull requests with the same branch name in repositories allowed here share one preview (docs/environment-toml.md). Empty: none. Worker.",
  ),
  PRBOX_ALLOW_CLUSTER_ROLES: list.describe(
    "ClusterRoles a pull request's RoleBinding may name, comma-separated, e.g. view. A binding may always name the environment's own Roles; any other ClusterRole (prbox's own included) is refused, since prbox holds its rules and the API's escalation check would pass. Empty: none. Worker; see docs/environment-toml.md.",
  ),
  PRBOX_ALLOW_SERVICE_TYPES: list.describe(
    "Service types a pull request may use besides ClusterIP, comma-separated: NodePort, LoadBalancer, ExternalName, and ExternalIPs for spec.externalIPs. They open the preview to the outside or point it at other services (an ExternalName to kubernetes.default.svc). Empty: none. Worker.",
  ),
  PRBOX_INGRESS_HOSTS: list.describe(
    "Host patterns any pull request's Ingress (or Gateway API route) may claim, comma-separated, e.g. *.preview.example.com (`*` stands for one DNS label). Besides these a host must contain the PR's own pr-<N> (as in app-pr-42.example.com). Empty: only hosts with pr-<N>. Worker.",
  ),
  PRBOX_ALLOW_INGRESS_SNIPPETS: flag.describe(
    "Let a pull request's Ingress carry configuration-snippet, server-snippet and other *-snippet annotations (ingress-nginx). They are raw controller configuration and can read the controller's secrets: leave it false unless the controller refuses snippets itself. Worker.",
  ),
  PRBOX_RENDER_TIMEOUT: duration("60s").describe(
    "How long one `helm template` may run before prbox kills it and reports the box; a template loop would otherwise hold a worker. Worker (the CLI uses the default).",
  ),
  PRBOX_RENDER_MEMORY_MB: count(1024).describe(
    "How much memory (resident, MiB) one `helm template` may use before prbox kills it and reports the box. Watched on Linux through /proc; elsewhere only the time limit applies. 0: no limit. Worker.",
  ),
  PRBOX_RENDER_MAX_OUTPUT_MB: count(64).describe(
    "The most YAML (MiB) one box may render; more is refused as a runaway template. Worker.",
  ),
  PRBOX_RENDER_MAX_OBJECTS: count(5000).describe(
    "The most objects one environment may render; more is refused. Worker.",
  ),
  PRBOX_RENDER_CONCURRENCY: count(2).describe(
    "Boxes of one environment rendered at once (each a helm process). 0 counts as 1. Worker.",
  ),
  PRBOX_WORKER_CONCURRENCY: count(2).describe(
    "Reconcile jobs one worker process runs at once (jobs of different environments; one environment never runs twice at once). 0 counts as 1. Worker.",
  ),
  PRBOX_PAGE_TOKEN: z
    .string()
    .optional()
    .describe(
      "Token of the environments page (/environments): sent as `Authorization: Bearer <token>` or as the password of HTTP basic auth (any user name). Unset: the page is off (404). At least 16 characters.",
    ),
  PRBOX_ENVIRONMENT_CLUSTER_ROLE: z
    .string()
    .optional()
    .describe(
      "A ClusterRole prbox binds to itself (RoleBinding prbox-environment) in every namespace it creates or adopts, before writing into it; " +
        "for installations where prbox holds no namespaced rights cluster-wide (the Helm chart sets it). Empty: nothing is bound.",
    ),
  PRBOX_JOB_LOCK_DURATION: duration("30s").describe(
    "How long a worker's claim on a job lasts without renewal (renewed every half of it): a killed worker's job is taken over after at most this plus PRBOX_STALLED_INTERVAL. Worker.",
  ),
  PRBOX_STALLED_INTERVAL: duration("15s").describe(
    "How often each worker looks for jobs of dead workers; give every worker the same value. Worker.",
  ),
  PRBOX_JOB_ATTEMPTS: count(8).describe(
    'Attempts of a reconcile job whose failure may pass (API server or forge unavailable), the first included; the PR says "retrying in …" meanwhile and gets the final report after the last. At least 1. Server (it enqueues) and worker.',
  ),
  PRBOX_RETRY_DELAY: duration("2s").describe(
    "Delay before a failed job's first retry, doubled for each further one (with up to 20 % jitter off), and never shorter than a server's Retry-After. With the defaults, 8 attempts span about 4 minutes. Server and worker.",
  ),
  PRBOX_REDIS_CHECK: z
    .enum(["warn", "require", "off"], { error: "expected warn, require or off" })
    .default("warn")
    .describe(
      "What to do at start-up when Redis is not configured as prbox needs (append-only file, maxmemory-policy noeviction): warn, require (refuse to start) or off. See docs/reliability.md. Server and worker.",
    ),
  // The safety baseline of every pull request's namespace: src/config/baseline.ts.
  ...baselineEnv,
  PRBOX_RESYNC_INTERVAL: duration("5m").describe(
    "How often prbox catches up with the forges and the cluster (also once at start-up): it lists the open pull requests of every repository it serves and deploys, redeploys or deletes what webhooks missed, and adopts or deletes prbox namespaces that Redis lost. One worker resyncs each time (a Redis lock). At least 10s; 0s: never (only webhooks and the sweep). See docs/reliability.md. Worker.",
  ),
  PRBOX_RESYNC_GITLAB_PROJECTS: list.describe(
    "GitLab projects the resync lists although no webhook of theirs reached this prbox yet (or Redis lost them), comma-separated paths, e.g. acme/shop,acme/tools/cli. Projects whose webhook reached prbox are listed anyway. GitLab; worker.",
  ),
  PRBOX_SKIP_DRAFTS: flagOn.describe(
    "Keep draft pull requests (GitLab: draft merge requests) without a preview until they are marked as ready; the PR says so. A preview that runs when a PR goes back to draft stays; new commits wait. A maintainer's /deploy deploys a draft (and its later commits). GitHub and GitLab.",
  ),
  PRBOX_SKIP_BOTS: flagOn.describe(
    "Keep pull requests opened by bots without a preview until a maintainer comments /deploy: accounts the forge marks as bots (GitHub: type Bot, e.g. dependabot[bot], renovate[bot]; GitLab: project and group access-token users project_N_bot_…, group_N_bot_…, and service accounts) and the logins in PRBOX_BOT_AUTHORS. GitHub and GitLab.",
  ),
  PRBOX_BOT_AUTHORS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? "*[bot],*-bot,renovate,dependabot")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .meta({ format: "comma-separated list", defaultValue: "*[bot],*-bot,renovate,dependabot" })
    .describe(
      "Logins taken for bots besides the accounts the forge marks as bots (PRBOX_SKIP_BOTS), `*` matching any characters, in either case. The default adds the usual names of self-hosted Renovate and Dependabot users on GitLab (renovate-bot, dependabot, …); empty means the default, PRBOX_SKIP_BOTS=false turns bot skipping off. GitHub and GitLab.",
    ),
  PRBOX_SKIP_LABEL: z
    .string()
    .default("no-preview")
    .describe(
      "A pull request carrying this label gets no preview, and a preview that runs is deleted; removing the label (or a maintainer's /deploy) deploys it. A label nobody adds changes nothing. GitHub and GitLab.",
    ),
  PRBOX_PATHS: list.describe(
    "Deploy only pull requests that change a file matching one of these patterns, e.g. src/**,charts/**,!**/*.md. Patterns as in GitHub Actions' paths filters: * within a directory, ** across directories, a leading ! excludes, the last matching pattern decides. The changed files are read through the forge's API on each pull request event. A maintainer's /deploy deploys any pull request. Empty: every pull request. GitHub and GitLab.",
  ),
});
