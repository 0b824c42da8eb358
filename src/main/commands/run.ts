import { Command } from "commander";
import type { TestResult } from "../../cluster/index.js";
import { PrboxError } from "../../errors.js";
import { addCiFlag } from "../ci-flags.js";
import { addClusterFlags, connectDuringRender, timeoutMs, type ClusterFlags } from "../cluster-flags.js";
import { addSpecFlags, baselineFromFlags, renderFromFlags, type SpecFlags } from "../context-flags.js";
import type { CliIo } from "../io.js";

type RunFlags = SpecFlags & ClusterFlags & { wait: boolean; timeout: string; reload?: boolean };

export function runCommand(io: CliIo): Command {
  const command = new Command("run")
    .summary("render an environment and deploy it to the cluster")
    .description(
      "Renders environment.toml and deploys it: creates or adopts the namespace, applies every object " +
        "(server-side apply), runs Helm hooks in order, prunes objects an earlier deploy left that the spec " +
        "no longer has, and waits until the workloads are ready; then runs the Helm tests of boxes with " +
        "tests = true (exit status 1 when one fails). Takes the same context flags as render.",
    )
    .option("--no-wait", "do not wait for the workloads to become ready")
    .option("--timeout <duration>", "how long to wait for readiness", "5m")
    .option("--reload", "delete the environment's objects first and deploy from scratch (the /reload command)");
  addCiFlag(addClusterFlags(addSpecFlags(command)), io).action(async (flags: RunFlags) => {
    const timeout = timeoutMs(flags.timeout);
    // Connecting (loading the Kubernetes client, reading the kubeconfig, one request to the API
    // server) overlaps helm's rendering; a render error is still the one reported when both fail.
    const connection = connectDuringRender(flags, io);
    const rendered = await renderFromFlags(flags, io, connection.helmStarted);
    const baseline = await baselineFromFlags(flags, io);
    const cluster = await connection.rendered();
    const { checkBaselineSettings, deployEnvironment } = await import("../../cluster/index.js");
    if (baseline) await checkBaselineSettings(cluster, baseline);
    const { environment } = rendered;
    io.stderr.write(
      `deploying ${environment.id} (${rendered.objects.length} objects) to namespace ${environment.namespace} on ${cluster.server}\n`,
    );
    const result = await deployEnvironment(cluster, rendered, {
      wait: flags.wait,
      timeoutMs: timeout,
      fresh: flags.reload === true,
      baseline,
    });
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
    io.stdout.write(
      [
        `environment ${environment.id} ${flags.wait ? "is ready" : "is applied"} in namespace ${result.namespace}`,
        `  applied ${result.applied.length} objects, pruned ${result.pruned.length}, in ${seconds(result.timings.applyMs)}${flags.wait ? ` (+${seconds(result.timings.waitMs)} waiting)` : ""}`,
        ...(environment.url ? [`  url: ${environment.url}`] : []),
        ...testLines(result.tests),
        "",
      ].join("\n"),
    );
    const failed = result.tests.filter((t) => !t.passed);
    if (failed.length > 0)
      throw new PrboxError(
        `${failed.length} of ${result.tests.length} chart tests failed: ${failed.map((t) => `${t.ref.kind}/${t.ref.name}`).join(", ")}`,
        { hint: "their last log lines are printed above; the environment stays deployed" },
      );
  });
  return command;
}

/** Each chart test's result, and a failing one's last log lines, under the deploy's summary. */
function testLines(tests: readonly TestResult[]): string[] {
  if (tests.length === 0) return [];
  const passed = tests.filter((t) => t.passed).length;
  return [
    `  tests: ${passed} of ${tests.length} passed`,
    ...tests.flatMap((t) => [
      `    ${t.passed ? "passed" : "FAILED"} ${t.ref.kind}/${t.ref.name} (box ${t.box}): ${t.detail}`,
      ...t.logs.flatMap((l) => [`      ${l.container}:`, ...l.text.split("\n").map((line) => `        | ${line}`)]),
    ]),
  ];
}
