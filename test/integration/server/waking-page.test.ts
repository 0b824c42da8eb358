// The waking page (ADR 28) when the cluster does not answer: prbox's server, as src/main starts it,
// with PRBOX_WAKE_ADDRESS and a kubeconfig whose API server refuses. The page cannot tell a
// sleeping host, so it claims none: every request goes on to the other routes. A sleeping
// preview's page, and the wake it asks for, are tested end to end (test/e2e/pipeline/sleep.suite.ts).
import { request } from "node:http";
import { describe, expect, it, onTestFinished } from "vitest";
import { freePort } from "../../setup/redis.js";
import { kubeconfigFor, startPageServer } from "./page-support.js";

function get(baseUrl: string, host: string, path: string): Promise<{ status: number; waking: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { headers: { host } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, waking: res.headers["x-prbox-waking"] === "1" }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the waking page without a cluster", () => {
  it.each(["github", "gitlab"] as const)("claims no request and says why in the log (%s server)", async (forge) => {
    const kubeconfig = await kubeconfigFor(`https://127.0.0.1:${await freePort()}`);
    onTestFinished(() => kubeconfig.remove());
    const server = await startPageServer({
      forge,
      kubeconfig: kubeconfig.path,
      env: { PRBOX_WAKE_ADDRESS: "prbox.prbox-system.svc.cluster.local:3000" },
    });
    onTestFinished(() => server.stop());

    expect(await get(server.baseUrl, "pr-7.preview.example.com", "/")).toEqual({ status: 404, waking: false });
    expect(await get(server.baseUrl, "pr-7.preview.example.com", "/healthz")).toEqual({
      status: 200,
      waking: false,
    });
    expect(server.logs()).toContain("waking page: could not list the sleeping environments");
  });
});
