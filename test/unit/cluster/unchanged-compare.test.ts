// The comparison behind skipping unchanged objects (src/cluster/unchanged.ts): pure, no cluster.
import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { appliedHash, holds, isUnchanged, withAppliedHash } from "../../../src/cluster/unchanged.js";
import type { KubeObject } from "../../../src/model.js";

const settings = (data: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "pr-1" },
  data,
});

describe("the applied hash", () => {
  it("does not depend on key order, and changes with any value", () => {
    const a: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "s", labels: { x: "1", y: "2" } },
      data: { a: "1" },
    };
    const b: KubeObject = {
      kind: "ConfigMap",
      data: { a: "1" },
      metadata: { labels: { y: "2", x: "1" }, name: "s" },
      apiVersion: "v1",
    };
    expect(appliedHash(a)).toBe(appliedHash(b));
    expect(appliedHash(a)).not.toBe(appliedHash({ ...a, data: { a: "2" } }));
  });

  it("leaves its own annotation out, so a stamped object hashes as the bare one", () => {
    const bare = settings({ a: "1" });
    const stamped = withAppliedHash(bare);
    expect(stamped.metadata.annotations?.["prbox.dev/applied-hash"]).toBe(appliedHash(bare));
    expect(appliedHash(stamped)).toBe(appliedHash(bare));
  });
});

describe("does the live object hold the applied fields", () => {
  it("ignores what the API server added and finds what differs", () => {
    const applied = { spec: { replicas: 1, template: { spec: { containers: [{ name: "web", image: "a:1" }] } } } };
    const live = {
      spec: {
        replicas: 1,
        strategy: { type: "RollingUpdate" },
        template: { spec: { containers: [{ name: "web", image: "a:1", imagePullPolicy: "IfNotPresent" }] } },
      },
    };
    expect(holds(live, applied)).toBe(true);
    expect(holds({ ...live, spec: { ...live.spec, replicas: 3 } }, applied)).toBe(false);
  });

  it("counts an added or missing list element as a difference", () => {
    expect(holds({ ports: [{ port: 80 }, { port: 81 }] }, { ports: [{ port: 80 }] })).toBe(false);
    expect(holds({ ports: [] }, { ports: [{ port: 80 }] })).toBe(false);
  });

  it("accepts a number stored as its string, and an empty value stored as nothing, but no other conversion", () => {
    expect(holds({ limits: { cpu: "1" } }, { limits: { cpu: 1 } })).toBe(true);
    expect(holds({ limits: { cpu: "1000m" } }, { limits: { cpu: 1 } })).toBe(false);
    expect(holds({ port: 80 }, { port: "80" })).toBe(false);
    expect(holds({}, { securityContext: {}, args: [], note: null })).toBe(true);
  });
});

describe("is an object unchanged", () => {
  const applied = withAppliedHash(settings({ a: "1" }));
  const live = (overrides: Record<string, unknown> = {}) => ({
    ...structuredClone(applied),
    metadata: { ...applied.metadata, uid: "u", resourceVersion: "7" },
    ...overrides,
  });

  it("when the live object carries the same hash and holds every field", () => {
    expect(isUnchanged(applied, live())).toBe(true);
  });

  it("not when it is missing, being deleted, stamped with another hash, or edited since", () => {
    expect(isUnchanged(applied, undefined)).toBe(false);
    expect(isUnchanged(applied, live({ metadata: { ...applied.metadata, deletionTimestamp: new Date() } }))).toBe(
      false,
    );
    expect(
      isUnchanged(
        applied,
        live({ metadata: { ...applied.metadata, annotations: { "prbox.dev/applied-hash": "other" } } }),
      ),
    ).toBe(false);
    expect(isUnchanged(applied, live({ data: { a: "2" } }))).toBe(false);
  });

  it("compares a Secret's stringData with the base64 data the API server keeps", () => {
    const secret = withAppliedHash({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      stringData: { password: "hunter2" },
    });
    const stored = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: secret.metadata,
      data: { password: Buffer.from("hunter2").toString("base64") },
      type: "Opaque",
    };
    expect(isUnchanged(secret, stored)).toBe(true);
    const changed: KubernetesObject = {
      ...stored,
      data: { password: Buffer.from("changed").toString("base64") },
    } as KubernetesObject;
    expect(isUnchanged(secret, changed)).toBe(false);
  });
});
