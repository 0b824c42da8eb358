import nock from "nock";
import { afterAll, afterEach, beforeAll } from "vitest";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** "GET https://api.github.com/repos/..." for whatever nock hands its "no match" listeners. */
function describeRequest(request: unknown): string {
  if (request instanceof Request) return `${request.method} ${request.url}`;
  const { method, href, path } = (request ?? {}) as { method?: string; href?: string; path?: string };
  return `${method ?? "?"} ${href ?? path ?? "?"}`;
}

function isLoopback(request: unknown): boolean {
  if (!(request instanceof Request)) return false;
  return LOOPBACK.has(new URL(request.url).hostname);
}

/**
 * Strict HTTP mocking for the calling test file: no network except loopback, and a test fails
 * when it made a request no mock answered (nock would answer 501, which code under test may
 * take for a GitHub outage and retry) or left a mock unused (a call the code should have made).
 * Scopes are cleaned after every test, so nothing leaks into the next one.
 */
export function useStrictNock(): void {
  const unmatched: string[] = [];
  const onNoMatch = (request: unknown) => {
    if (!isLoopback(request)) unmatched.push(describeRequest(request));
  };
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    nock.emitter.on("no match", onNoMatch);
  });
  afterEach(() => {
    const missed = unmatched.splice(0);
    const unused = nock.pendingMocks();
    nock.cleanAll();
    const problems = [
      ...missed.map((request) => `no mock answered ${request}`),
      ...unused.map((mock) => `mock never requested: ${mock}`),
    ];
    if (problems.length > 0) throw new Error(`HTTP mocks out of step:\n  ${problems.join("\n  ")}`);
  });
  afterAll(() => {
    nock.emitter.removeListener("no match", onNoMatch);
    nock.enableNetConnect();
  });
}
