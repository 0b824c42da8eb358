export {
  connectRedis,
  PrboxCluster,
  PrboxRedis,
  type AnyRedis,
  type RedisConnection,
  redactRedisUrl,
  redisFailure,
  type ConnectRedisOptions,
  type RedisRole,
} from "./redis.js";
export { RedisStateStore, type DesiredUpdate, type StoredEnvironment, type StateStoreOptions } from "./store.js";
export {
  createReconcileQueue,
  RECONCILE_QUEUE,
  type QueueCounts,
  type ReconcileJobData,
  type BullReconcileQueue,
  type ReconcileQueueOptions,
} from "./queue.js";
export {
  startReconcileWorker,
  type NextAttempt,
  type ReconcileContext,
  type ReconcileHandler,
  type ReconcileWorker,
  type ReconcileWorkerOptions,
} from "./worker.js";
export { toJobError } from "./failures.js";
export { checkRedisSettings, readRedisSettings, redisProblems, type RedisSettings } from "./redis-check.js";
export { exponentialDelay, retryAfterOf, retryDelay } from "./backoff.js";
