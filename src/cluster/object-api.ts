import {
  HttpMethod,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1APIResource,
} from "@kubernetes/client-node";
import type { KubeObject } from "../model.js";
import { isNotFound } from "./api-errors.js";
import { FIELD_MANAGER } from "./keys.js";

/** A list answer as JSON: `metadata.continue` keeps its name. */
export interface RawList {
  items: KubernetesObject[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/**
 * KubernetesObjectApi with two additions prbox needs.
 *
 * `apply` sends the object's JSON as is. The inherited `patch` first passes
 * plain objects through client-node's typed serializer, which silently drops
 * fields whose JSON name differs from the model's property name
 * (NetworkPolicy `ingress[].from`, LimitRange `limits[].default`, CRD schemas'
 * `x-kubernetes-*`) and every field the models do not know yet.
 *
 * `kindInfo` exposes discovery (is this kind namespaced? does the cluster
 * serve it at all?), cached per apiVersion like the parent class does.
 */
export class ObjectApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): ObjectApi {
    const api = kc.makeApiClient(ObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  /**
   * Server-side apply with field manager "prbox", taking ownership of conflicting fields. With
   * `dryRun` the API server runs every check (authorization, admission, validation) and stores nothing.
   */
  async apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubernetesObject> {
    // specUriPath fills in defaults on the object it is given: give it a copy.
    const path = await this.specUriPath(structuredClone(object), "patch");
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam("Accept", "application/json");
    request.setHeaderParam("Content-Type", PatchStrategy.ServerSideApply);
    request.setQueryParam("fieldManager", FIELD_MANAGER);
    request.setQueryParam("force", "true");
    if (options.dryRun) request.setQueryParam("dryRun", "All");
    request.setBody(JSON.stringify(object));
    return this.requestPromise(request);
  }

  /** A dry-run create (POST, dryRun=All): every check a new object of this content would meet. */
  async dryRunCreate(object: KubernetesObject): Promise<KubernetesObject> {
    const request = await this.jsonRequest(object, "create", HttpMethod.POST);
    request.setQueryParam("dryRun", "All");
    return this.requestPromise(request);
  }

  /** A request carrying `object` as JSON, made with field manager "prbox". */
  private async jsonRequest(object: KubernetesObject, action: "create" | "replace", method: HttpMethod) {
    // specUriPath fills in defaults on the object it is given: give it a copy.
    const path = await this.specUriPath(structuredClone(object), action);
    const request = this.configuration.baseServer.makeRequestContext(path, method);
    request.setHeaderParam("Accept", "application/json");
    request.setHeaderParam("Content-Type", "application/json");
    request.setQueryParam("fieldManager", FIELD_MANAGER);
    request.setBody(JSON.stringify(object));
    return request;
  }

  /**
   * One page of a list as the API server's JSON, untouched: the inherited `list` passes it through
   * the typed models, which rename fields (`from` to `_from`) and turn timestamps into Dates, and
   * prbox compares listed objects with rendered ones field by field.
   */
  async listRaw(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    query: { labelSelector: string; limit: number; continue?: string },
  ): Promise<RawList> {
    const path = await this.collectionPath(apiVersion, kind, namespace);
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    request.setHeaderParam("Accept", "application/json");
    request.setQueryParam("labelSelector", query.labelSelector);
    request.setQueryParam("limit", String(query.limit));
    if (query.continue) request.setQueryParam("continue", query.continue);
    return this.requestPromise(request, "any") as Promise<RawList>;
  }

  /** The path of a kind's collection in a namespace (or cluster-wide), as list and watch requests use it. */
  async collectionPath(apiVersion: string, kind: string, namespace: string | undefined): Promise<string> {
    return this.specUriPath({ apiVersion, kind, metadata: { namespace } }, "list");
  }

  /** One object as the API server's JSON, untouched (see listRaw for why not the inherited `read`). */
  async readRaw(object: KubeObject): Promise<KubernetesObject> {
    const path = await this.specUriPath(object, "read");
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    request.setHeaderParam("Accept", "application/json");
    return this.requestPromise(request, "any") as Promise<KubernetesObject>;
  }

  /**
   * Replaces an object (PUT) with this JSON as is, read-modify-write: the object carries the
   * resourceVersion it was read at, so a change made meanwhile is refused (409), not overwritten.
   */
  async replaceRaw(object: KubeObject): Promise<KubernetesObject> {
    const request = await this.jsonRequest(object, "replace", HttpMethod.PUT);
    return this.requestPromise(request, "any") as Promise<KubernetesObject>;
  }

  /** The resource serving apiVersion+kind, or undefined when the cluster does not serve it. */
  async kindInfo(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    try {
      return await this.resource(apiVersion, kind);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  // The parent's lookup takes the first resource with a matching kind, which can be
  // a subresource ("deployments/status" also has kind Deployment); skip those.
  protected override async resource(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    const found = await super.resource(apiVersion, kind);
    if (found && !found.name.includes("/")) return found;
    const list = this.apiVersionResourceCache[apiVersion]?.resources ?? [];
    return list.find((r) => r.kind === kind && !r.name.includes("/"));
  }
}
