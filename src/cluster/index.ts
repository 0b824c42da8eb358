// The cluster layer's public face: everything else in src/cluster is an implementation detail.
export { connectCluster, clusterFromKubeConfig, type Cluster, type ConnectOptions } from "./client.js";
export { classifyApiError } from "./api-errors.js";
export { deployEnvironment, type DeployOptions, type DeployResult } from "./deploy.js";
export {
  sleepEnvironment,
  wakeEnvironment,
  sleepingHosts,
  WAKING_SERVICE,
  type SleepResult,
  type WakeTarget,
} from "./sleep.js";
export { deleteEnvironment, type DeleteOptions, type DeleteResult } from "./delete.js";
export {
  listEnvironments,
  describeEnvironment,
  type EnvironmentDescription,
  type DescribedObject,
  type ObjectReadiness,
} from "./records.js";
export type { EnvironmentRecord, EnvironmentStatus } from "./record.js";
export { waitForReady, DEFAULT_TIMEOUT_MS, type WaitOptions } from "./wait.js";
export type { ObjectRef } from "./refs.js";
export type { TestResult } from "./tests.js";
export { checkBaselineSettings } from "./baseline/check.js";
