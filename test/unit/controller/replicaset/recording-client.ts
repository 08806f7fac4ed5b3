// A RestClient that answers from memory and records every write, for sync(key) unit tests.
import type { Status } from 'kubernetes-types/meta/v1.js';
import { StatusError } from '../../../../pkg/api/errors.js';
import type { KubeObject } from '../../../../pkg/api/meta.js';
import type { ResourceInfo } from '../../../../pkg/api/resources.js';
import { SharedInformer } from '../../../../pkg/client/informer.js';
import type { MetaObject } from '../../../../pkg/client/indexer.js';
import { RestClient, type PatchOptions, type PatchType } from '../../../../pkg/client/rest-client.js';

export interface Call { verb: string; resource: string; namespace: string; name: string; body?: unknown; subresource?: string }

export class RecordingClient extends RestClient {
  readonly calls: Call[] = [];
  readonly objects = new Map<string, KubeObject>();
  #n = 0;
  constructor() { super({ server: 'http://127.0.0.1:1' }); }

  writes(resource?: string): Call[] { return this.calls.filter((c) => c.verb !== 'get' && (!resource || c.resource === resource)); }

  override async get<T>(res: ResourceInfo, namespace: string, name: string): Promise<T> {
    this.calls.push({ verb: 'get', resource: res.plural, namespace, name });
    const o = this.objects.get(`${res.plural}/${namespace}/${name}`);
    if (!o) throw new StatusError(404, 'NotFound', `${res.plural} "${name}" not found`);
    return structuredClone(o) as T;
  }

  override async create<T>(res: ResourceInfo, namespace: string, obj: T): Promise<T> {
    const o = structuredClone(obj) as KubeObject;
    const meta = { ...o.metadata };
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${String(++this.#n).padStart(5, 'x')}`;
    meta.uid ??= `uid-${meta.name ?? ''}`;
    o.metadata = meta;
    this.calls.push({ verb: 'create', resource: res.plural, namespace, name: meta.name ?? '', body: o });
    return o as T;
  }

  override async update<T extends KubeObject>(res: ResourceInfo, namespace: string, obj: T): Promise<T> {
    this.calls.push({ verb: 'update', resource: res.plural, namespace, name: obj.metadata?.name ?? '', body: structuredClone(obj) });
    return structuredClone(obj);
  }

  override async updateStatus<T extends KubeObject>(res: ResourceInfo, namespace: string, obj: T): Promise<T> {
    this.calls.push({ verb: 'update', subresource: 'status', resource: res.plural, namespace, name: obj.metadata?.name ?? '', body: structuredClone(obj) });
    return structuredClone(obj);
  }

  override async patch<T>(res: ResourceInfo, namespace: string, name: string, patchType: PatchType, body: unknown, opts: PatchOptions = {}): Promise<T> {
    this.calls.push({ verb: `patch:${patchType}`, resource: res.plural, namespace, name, body, ...(opts.subresource ? { subresource: opts.subresource } : {}) });
    return {} as T;
  }

  override async delete<T>(res: ResourceInfo, namespace: string, name: string): Promise<T | Status> {
    this.calls.push({ verb: 'delete', resource: res.plural, namespace, name });
    return { kind: 'Status', status: 'Success' } as Status;
  }
}

/** An informer that is never run: tests fill its cache directly. */
export function fakeInformer<T extends MetaObject>(objects: T[] = []): SharedInformer<T> {
  const informer = new SharedInformer<T>({ list: () => new Promise(() => {}), watch: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) }) } as never);
  for (const o of objects) informer.indexer.add(o);
  return informer;
}

export const recorder = () => {
  const events: { reason: string; message: string; type: string }[] = [];
  return { events, event: (_obj: unknown, type: string, reason: string, message: string) => { events.push({ type, reason, message }); } };
};
