import { spawn } from "node:child_process";

/**
 * A vitest killed without its teardown (SIGKILL, a CI timeout, a closed terminal) must not leave
 * the servers it started running. This starts a detached shell that polls every 2 s while this
 * process lives and `condition` holds; when this process is gone and `condition` still holds, it
 * runs `action`. After a normal teardown `condition` fails and the shell ends without acting.
 * `condition` and `action` are shell snippets; `args` are their $1, $2, ...
 */
export function cleanUpIfKilled(condition: string, action: string, args: readonly string[]): void {
  const script = `parent=$1; shift; while kill -0 "$parent" 2>/dev/null && ${condition}; do sleep 2; done; if ${condition}; then ${action}; fi`;
  spawn("bash", ["-c", script, "prbox-test-cleanup", String(process.pid), ...args], {
    detached: true,
    stdio: "ignore",
  }).unref();
}
