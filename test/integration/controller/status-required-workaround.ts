// WORKAROUND, test-only, to delete once the apiserver is fixed: the apiserver's create path
// clears status to {} (registry/spec-status-rules.ts clearStatusAndStartGeneration) and then
// SchemaRegistry.validate enforces the OpenAPI `required: [replicas]` of ReplicaSetStatus, so
// every ReplicaSet create fails with "status.replicas: Required value". Real Kubernetes
// decodes into Go structs (zero values), never enforcing `required` there. Loaded in-process
// by import, or into an apiserver process with `node --import`.
import { SchemaRegistry } from '../../../pkg/apiserver/validation.js';

const original = SchemaRegistry.prototype.validate;
SchemaRegistry.prototype.validate = function validate(this: SchemaRegistry, ...args: Parameters<typeof original>) {
  return original.apply(this, args).filter((e) => !(e.type === 'FieldValueRequired' && e.field.startsWith('status.')));
};
