import type { Command } from "commander";
import type { Cluster } from "../cluster/index.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";
import { parseDuration } from "../config/durations.js";

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
}

export function addClusterFlags(command: Command): Command {
  return command
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster credentials)")
    .option("--context <name>", "kubeconfig context (default: its current-context)");
}

/**
 * Loads the Kubernetes client on first use: --help and render never need it, and it is most of a
 * cluster verb's start-up (docs/adr/0020-cli-start-up.md).
 */
export async function connect(flags: ClusterFlags, io: CliIo): Promise<Cluster> {
  const { connectCluster } = await import("../cluster/index.js");
  return connectCluster({ kubeconfigPath: flags.kubeconfig ?? io.env.KUBECONFIG, context: flags.context });
}

/**
 * Connects while the render runs, but only once every helm process is started: loading the
 * Kubernetes client is about 150 ms of work on the main thread, which delays every helm process
 * not yet spawned (helm then runs on another core while the client loads). A render without helm
 * (manifests only) connects when `rendered()` is called. A render that fails before its last helm
 * process starts never connects (mapLimit starts no box after a failure).
 */
export function connectDuringRender(flags: ClusterFlags, io: CliIo) {
  let connecting: Promise<Cluster> | undefined;
  const start = (): Promise<Cluster> => {
    if (!connecting) {
      connecting = connect(flags, io);
      connecting.catch(() => {}); // awaited by `rendered`; a render error is the one reported
    }
    return connecting;
  };
  return {
    /** RenderOptions.onHelmStarted: every helm process of the render is running. */
    helmStarted: (): void => {
      void start();
    },
    /** The render is done: the connection, started now if helm never ran. */
    rendered: start,
  };
}

/** The words k8sbox accepts for its one resource. */
export const ENVIRONMENT_WORDS = ["environment", "environments", "env"];

export function checkResourceWord(word: string | undefined): void {
  if (word !== undefined && !ENVIRONMENT_WORDS.includes(word)) {
    throw new UsageError(`unknown resource "${word}": prbox knows ${ENVIRONMENT_WORDS.join(", ")}`);
  }
}

export function timeoutMs(text: string, flag = "--timeout"): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new UsageError(`${flag} ${text}: expected a duration such as 90s, 5m or 1h`);
  return ms;
}
