// A hand-written slice of the upstream OpenAPI v2 definitions: just the fields the patch
// tests touch, with the patch strategies and merge keys of k8s.io/api v0.32.
import type { PatchSchema } from '../../../../pkg/apiserver/patch/patch-schema.js';

const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const strings = { type: 'array', items: { type: 'string' } };
const keyedList = (item: string, mergeKey: string, strategy = 'merge') =>
  ({ type: 'array', items: ref(item), 'x-kubernetes-patch-merge-key': mergeKey, 'x-kubernetes-patch-strategy': strategy });

const definitions: Record<string, object> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    type: 'object',
    properties: {
      name: { type: 'string' },
      labels: stringMap,
      annotations: stringMap,
      finalizers: { ...strings, 'x-kubernetes-patch-strategy': 'merge' },
      ownerReferences: keyedList('io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference', 'uid'),
    },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference': {
    type: 'object', properties: { uid: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' } },
  },
  'io.k8s.api.apps.v1.Deployment': {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'),
      spec: ref('io.k8s.api.apps.v1.DeploymentSpec'),
    },
  },
  'io.k8s.api.apps.v1.DeploymentSpec': {
    type: 'object',
    properties: {
      replicas: { type: 'integer' },
      minReadySeconds: { type: 'integer' },
      strategy: { ...ref('io.k8s.api.apps.v1.DeploymentStrategy'), 'x-kubernetes-patch-strategy': 'retainKeys' },
      template: ref('io.k8s.api.core.v1.PodTemplateSpec'),
    },
  },
  'io.k8s.api.apps.v1.DeploymentStrategy': {
    type: 'object',
    properties: { type: { type: 'string' }, rollingUpdate: ref('io.k8s.api.apps.v1.RollingUpdateDeployment') },
  },
  'io.k8s.api.apps.v1.RollingUpdateDeployment': {
    type: 'object', properties: { maxSurge: {}, maxUnavailable: {} },
  },
  'io.k8s.api.core.v1.PodTemplateSpec': {
    type: 'object',
    properties: { metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'), spec: ref('io.k8s.api.core.v1.PodSpec') },
  },
  'io.k8s.api.core.v1.Pod': {
    type: 'object',
    properties: { metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'), spec: ref('io.k8s.api.core.v1.PodSpec') },
  },
  'io.k8s.api.core.v1.PodSpec': {
    type: 'object',
    properties: {
      containers: keyedList('io.k8s.api.core.v1.Container', 'name'),
      initContainers: keyedList('io.k8s.api.core.v1.Container', 'name'),
      volumes: keyedList('io.k8s.api.core.v1.Volume', 'name', 'merge,retainKeys'),
      tolerations: { type: 'array', items: ref('io.k8s.api.core.v1.Toleration') },
      nodeSelector: stringMap,
    },
  },
  'io.k8s.api.core.v1.Container': {
    type: 'object',
    properties: {
      name: { type: 'string' },
      image: { type: 'string' },
      args: strings,
      command: strings,
      env: keyedList('io.k8s.api.core.v1.EnvVar', 'name'),
      ports: keyedList('io.k8s.api.core.v1.ContainerPort', 'containerPort'),
      volumeMounts: keyedList('io.k8s.api.core.v1.VolumeMount', 'mountPath'),
    },
  },
  'io.k8s.api.core.v1.EnvVar': { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } },
  'io.k8s.api.core.v1.ContainerPort': {
    type: 'object', properties: { containerPort: { type: 'integer' }, name: { type: 'string' }, protocol: { type: 'string' } },
  },
  'io.k8s.api.core.v1.VolumeMount': { type: 'object', properties: { mountPath: { type: 'string' }, name: { type: 'string' } } },
  'io.k8s.api.core.v1.Volume': {
    type: 'object',
    properties: { name: { type: 'string' }, emptyDir: { type: 'object' }, configMap: { type: 'object' }, hostPath: { type: 'object' } },
  },
  'io.k8s.api.core.v1.Toleration': {
    type: 'object', properties: { key: { type: 'string' }, operator: { type: 'string' }, effect: { type: 'string' } },
  },
  'io.k8s.api.core.v1.Node': {
    type: 'object',
    properties: { metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'), spec: ref('io.k8s.api.core.v1.NodeSpec') },
  },
  'io.k8s.api.core.v1.NodeSpec': {
    type: 'object', properties: { unschedulable: { type: 'boolean' }, taints: { type: 'array', items: { type: 'object' } } },
  },
};

export function testSchema(root: string): PatchSchema {
  return { definitions, root };
}

export const deploymentSchema = testSchema('io.k8s.api.apps.v1.Deployment');
export const podSchema = testSchema('io.k8s.api.core.v1.Pod');
export const nodeSchema = testSchema('io.k8s.api.core.v1.Node');
