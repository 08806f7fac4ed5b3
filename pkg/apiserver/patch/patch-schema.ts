// The slice of an OpenAPI v2 schema that strategic merge patch needs: which fields are
// lists, how each list merges (x-kubernetes-patch-strategy) and by which key
// (x-kubernetes-patch-merge-key). Upstream reads the same facts from Go struct tags.

/** Definitions keyed by upstream name (`io.k8s.api.core.v1.PodSpec`) plus the kind's own. */
export interface PatchSchema {
  definitions: Record<string, object>;
  /** Definition name of the patched object's kind, e.g. `io.k8s.api.apps.v1.Deployment`. */
  root: string;
}

export interface SchemaNode {
  type?: string;
  $ref?: string;
  allOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
}

const refPrefix = '#/definitions/';

/** Follows `$ref` (and single-entry `allOf`, as OpenAPI v3 wraps references) to the real node. */
export function resolveNode(schema: PatchSchema, node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  for (let depth = 0; current && depth < 32; depth++) {
    if (typeof current.$ref === 'string') {
      const name = current.$ref.startsWith(refPrefix) ? current.$ref.slice(refPrefix.length) : current.$ref;
      current = schema.definitions[name] as SchemaNode | undefined;
    } else if (Array.isArray(current.allOf) && current.allOf.length === 1 && !current.properties) {
      current = current.allOf[0];
    } else {
      return current;
    }
  }
  return current;
}

export function rootNode(schema: PatchSchema): SchemaNode | undefined {
  return resolveNode(schema, { $ref: `${refPrefix}${schema.root}` });
}

/**
 * The schema of field `key` of an object node, unresolved so that the patch metadata
 * written beside a `$ref` stays visible. A map (`additionalProperties`) gives its value
 * schema for every key, as upstream's struct lookup gives a map's element type.
 */
export function fieldNode(schema: PatchSchema, parent: SchemaNode | undefined, key: string): SchemaNode | undefined {
  const resolved = resolveNode(schema, parent);
  if (!resolved) return undefined;
  const property = resolved.properties?.[key];
  if (property) return property;
  const additional = resolved.additionalProperties;
  return typeof additional === 'object' ? additional : undefined;
}

export interface ListMeta {
  /** The patch strategies of the field: `merge`, `retainKeys`, `replace`. */
  strategies: string[];
  mergeKey: string;
  items: SchemaNode | undefined;
}

export function listMeta(schema: PatchSchema, field: SchemaNode | undefined): ListMeta {
  const resolved = resolveNode(schema, field);
  const strategy = field?.['x-kubernetes-patch-strategy'] ?? resolved?.['x-kubernetes-patch-strategy'] ?? '';
  const mergeKey = field?.['x-kubernetes-patch-merge-key'] ?? resolved?.['x-kubernetes-patch-merge-key'] ?? '';
  return {
    strategies: strategy ? strategy.split(',').map((s) => s.trim()) : [],
    mergeKey,
    items: resolved?.items,
  };
}
