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

  /** Server-side apply with field manager "prbox", taking ownership of conflicting fields. */
  async apply(object: KubeObject): Promise<KubernetesObject> {
    // specUriPath fills in defaults on the object it is given: give it a copy.
    const path = await this.specUriPath(structuredClone(object), "patch");
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam("Accept", "application/json");
    request.setHeaderParam("Content-Type", PatchStrategy.ServerSideApply);
    request.setQueryParam("fieldManager", FIELD_MANAGER);
    request.setQueryParam("force", "true");
    request.setBody(JSON.stringify(object));
    return this.requestPromise(request);
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
