import type { PodSecurityLevel } from "../config/baseline.js";
import { RenderError } from "../errors.js";
import type { KubeObject } from "../model.js";

/**
 * The Pod Security Standards' checks (kubernetes.io/docs/concepts/security/pod-security-standards),
 * at render time: `prbox render` in PR mode says what the API server's Pod Security admission
 * would refuse once the namespace enforces the operator's level, naming the file and the object.
 * The API server stays the enforcer; this is the early, readable copy of its rules, worded as
 * its own messages are.
 */

type Obj = Record<string, unknown>;

interface Container extends Obj {
  name?: string;
  ports?: { hostPort?: number }[];
  securityContext?: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
    procMount?: string;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type?: string };
    seLinuxOptions?: { type?: string; user?: string; role?: string };
    appArmorProfile?: { type?: string };
    windowsOptions?: { hostProcess?: boolean };
  };
}

interface PodSpec extends Obj {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: (Obj & { name?: string })[];
  securityContext?: Container["securityContext"] & { sysctls?: { name?: string }[] };
}

interface Pod {
  metadata: { annotations?: Record<string, string> };
  spec: PodSpec;
}

// Baseline allows adding only these (the container runtime's defaults).
const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = typeof current === "object" && current !== null ? (current as Obj)[key] : undefined;
  return current;
}

/** The pod template of a workload kind, or the Pod itself; undefined for kinds without pods. */
export function podOf(object: KubeObject): Pod | undefined {
  const template =
    object.kind === "Pod"
      ? { metadata: object.metadata, spec: object.spec }
      : object.kind === "CronJob"
        ? get(object, "spec", "jobTemplate", "spec", "template")
        : object.kind === "PodTemplate"
          ? get(object, "template")
          : ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"].includes(
                object.kind,
              )
            ? get(object, "spec", "template")
            : undefined;
  const spec = get(template, "spec");
  if (typeof spec !== "object" || spec === null) return undefined;
  return { metadata: (get(template, "metadata") ?? {}) as Pod["metadata"], spec: spec as PodSpec };
}

function containersOf(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

const q = (text: string | undefined): string => `"${text ?? "?"}"`;

type SecurityContext = NonNullable<Container["securityContext"]>;
/** One rule of one container: the violation in the API server's words, or undefined. */
type ContainerRule = (c: Container, sc: SecurityContext, name: string, pod: PodSpec) => string | undefined;

function seLinuxAllowed(options: { type?: string; user?: string; role?: string } | undefined): boolean {
  if (!options) return true;
  return SELINUX_TYPES.has(options.type ?? "") && !options.user && !options.role;
}

const listed = (items: string[]): string => items.map((a) => q(a)).join(", ");
const when = (test: boolean, text: string): string | undefined => (test ? text : undefined);

const BASELINE_CONTAINER: ContainerRule[] = [
  (_c, sc, name) =>
    when(sc.privileged === true, `privileged (container ${name} must not set securityContext.privileged=true)`),
  (_c, sc, name) =>
    when(
      sc.windowsOptions?.hostProcess === true,
      `hostProcess (container ${name} must not set securityContext.windowsOptions.hostProcess=true)`,
    ),
  (_c, sc, name) => {
    const added = (sc.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    return when(
      added.length > 0,
      `non-default capabilities (container ${name} must not include ${listed(added)} in securityContext.capabilities.add)`,
    );
  },
  (c, _sc, name) => {
    const ports = (c.ports ?? []).map((p) => p.hostPort ?? 0).filter((p) => p !== 0);
    return when(ports.length > 0, `hostPort (container ${name} uses hostPort ${ports.join(", ")})`);
  },
  (_c, sc, name) =>
    when(
      sc.procMount !== undefined && sc.procMount !== "Default",
      `procMount (container ${name} must not set securityContext.procMount to ${q(sc.procMount)})`,
    ),
  (_c, sc, name) =>
    when(
      sc.seccompProfile?.type === "Unconfined",
      `seccompProfile (container ${name} must not set securityContext.seccompProfile.type to "Unconfined")`,
    ),
  (_c, sc, name) =>
    when(
      sc.appArmorProfile?.type === "Unconfined",
      `forbidden AppArmor profile (container ${name} must not set securityContext.appArmorProfile.type to "Unconfined")`,
    ),
  (_c, sc, name) =>
    when(
      !seLinuxAllowed(sc.seLinuxOptions),
      `seLinuxOptions (container ${name} may set only an allowed seLinuxOptions.type, never user or role)`,
    ),
];

const RESTRICTED_CONTAINER: ContainerRule[] = [
  (_c, sc, name) =>
    when(
      sc.allowPrivilegeEscalation !== false,
      `allowPrivilegeEscalation != false (container ${name} must set securityContext.allowPrivilegeEscalation=false)`,
    ),
  (_c, sc, name) =>
    when(
      !(sc.capabilities?.drop ?? []).includes("ALL"),
      `unrestricted capabilities (container ${name} must set securityContext.capabilities.drop=["ALL"])`,
    ),
  (_c, sc, name) => {
    const added = (sc.capabilities?.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    return when(
      added.length > 0,
      `unrestricted capabilities (container ${name} must not include ${listed(added)} in securityContext.capabilities.add)`,
    );
  },
  (_c, sc, name, pod) =>
    when(
      (sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true,
      `runAsNonRoot != true (pod or container ${name} must set securityContext.runAsNonRoot=true)`,
    ),
  (_c, sc, name, pod) =>
    when(
      (sc.runAsUser ?? pod.securityContext?.runAsUser) === 0,
      `runAsUser=0 (pod or container ${name} must not set runAsUser=0)`,
    ),
  (_c, sc, name, pod) => {
    const seccomp = sc.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    const ok = seccomp === "RuntimeDefault" || seccomp === "Localhost";
    return when(
      !ok,
      `seccompProfile (pod or container ${name} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
    );
  },
];

function containerViolations(pod: PodSpec, rules: readonly ContainerRule[]): string[] {
  return containersOf(pod)
    .flatMap((c) => rules.map((rule) => rule(c, c.securityContext ?? {}, q(c.name), pod)))
    .filter((v): v is string => v !== undefined);
}

type PodRule = (pod: Pod) => string | undefined;

const BASELINE_POD: PodRule[] = [
  ({ spec }) => {
    const hosts = (["hostNetwork", "hostPID", "hostIPC"] as const).filter((key) => spec[key] === true);
    return when(hosts.length > 0, `host namespaces (${hosts.map((h) => `${h}=true`).join(", ")})`);
  },
  ({ spec }) => {
    const hostPaths = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => q(v.name));
    return when(
      hostPaths.length > 0,
      `hostPath volumes (volume${hostPaths.length > 1 ? "s" : ""} ${hostPaths.join(", ")})`,
    );
  },
  ({ spec }) =>
    when(
      spec.securityContext?.windowsOptions?.hostProcess === true,
      "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)",
    ),
  ({ spec }) =>
    when(
      spec.securityContext?.seccompProfile?.type === "Unconfined",
      `seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")`,
    ),
  ({ spec }) =>
    when(
      spec.securityContext?.appArmorProfile?.type === "Unconfined",
      `forbidden AppArmor profile (pod must not set securityContext.appArmorProfile.type to "Unconfined")`,
    ),
  ({ spec }) =>
    when(
      !seLinuxAllowed(spec.securityContext?.seLinuxOptions),
      "seLinuxOptions (pod may set only an allowed seLinuxOptions.type, never user or role)",
    ),
  ({ spec }) => {
    const sysctls = (spec.securityContext?.sysctls ?? []).map((s) => s.name ?? "").filter((n) => !SAFE_SYSCTLS.has(n));
    return when(sysctls.length > 0, `forbidden sysctls (${sysctls.join(", ")})`);
  },
  ({ metadata }) => {
    const apparmor = Object.entries(metadata.annotations ?? {}).filter(
      ([key, value]) =>
        key.startsWith("container.apparmor.security.beta.kubernetes.io/") &&
        value !== "runtime/default" &&
        !value.startsWith("localhost/"),
    );
    return when(
      apparmor.length > 0,
      `forbidden AppArmor profile (annotation ${apparmor.map(([k, v]) => `${k}=${q(v)}`).join(", ")})`,
    );
  },
];

function baselinePod(pod: Pod): string[] {
  const own = BASELINE_POD.map((rule) => rule(pod)).filter((v): v is string => v !== undefined);
  return [...own, ...containerViolations(pod.spec, BASELINE_CONTAINER)];
}

function restrictedPod(pod: Pod): string[] {
  const out: string[] = [];
  for (const volume of pod.spec.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== "name");
    if (type !== undefined && !RESTRICTED_VOLUMES.has(type))
      out.push(`restricted volume types (volume ${q(volume.name)} uses restricted volume type ${q(type)})`);
  }
  return [...out, ...containerViolations(pod.spec, RESTRICTED_CONTAINER)];
}

/** What Pod Security at `level` would refuse in the object's pods, in the API server's words; [] when nothing. */
export function podSecurityViolations(object: KubeObject, level: PodSecurityLevel): string[] {
  const pod = podOf(object);
  if (!pod || level === "privileged") return [];
  const found = level === "restricted" ? [...baselinePod(pod), ...restrictedPod(pod)] : baselinePod(pod);
  return [...new Set(found)];
}

/** Throws a RenderError naming the object, its file and every rule its pods break. */
export function checkPodSecurity(object: KubeObject, source: string, level: PodSecurityLevel): void {
  const violations = podSecurityViolations(object, level);
  if (violations.length === 0) return;
  throw new RenderError(
    `${object.kind} ${object.metadata.name} (${source}): pods would be refused by Pod Security "${level}": ${violations.join("; ")}`,
    {
      location: { file: source },
      hint: `remove these settings from the pod template; the namespace enforces Pod Security "${level}" (an operator setting, PRBOX_POD_SECURITY)`,
    },
  );
}
