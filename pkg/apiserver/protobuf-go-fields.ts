// What the .proto files do not say about the Go structs behind them, and Go's encoding/json
// needs: which scalar fields are pointers, which struct fields are embedded inline, and which
// fields lack `omitempty` although their comment says `+optional`.
//
// Why it matters: go-to-protobuf (proto2) always writes value fields, zeros included, and writes
// pointer fields only when non-nil. A zero on the wire is therefore dropped when the Go field is
// a value with `omitempty`, and kept when it is a pointer (`replicas: 0`, `immutable: false`).
//
// Source: the pointer fields are every `*out = new(<scalar type>); **out = **in` in upstream
// k8s.io/api `zz_generated.deepcopy.go` (core/v1 read in full; the smaller groups from their
// types.go), and k8s.io/apimachinery meta/v1 types.go. Pointers to structs need no entry:
// a struct field is on the wire exactly when Go's JSON would write it. Field names are JSON names.

type Table = Record<string, Record<string, readonly string[]>>;

const CORE = 'k8s.io.api.core.v1';
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

const POINTER_SCALARS: Table = {
  [CORE]: {
    AppArmorProfile: ['localhostProfile'],
    AzureDiskVolumeSource: ['cachingMode', 'fsType', 'readOnly', 'kind'],
    AzureFilePersistentVolumeSource: ['secretNamespace'],
    CSIVolumeSource: ['readOnly', 'fsType'],
    ClientIPConfig: ['timeoutSeconds'],
    ClusterTrustBundleProjection: ['name', 'signerName', 'optional'],
    ConfigMap: ['immutable'],
    ConfigMapEnvSource: ['optional'],
    ConfigMapKeySelector: ['optional'],
    ConfigMapProjection: ['optional'],
    ConfigMapVolumeSource: ['defaultMode', 'optional'],
    Container: ['restartPolicy'],
    ContainerStatus: ['started', 'stopSignal'],
    DownwardAPIVolumeFile: ['mode'],
    DownwardAPIVolumeSource: ['defaultMode'],
    EndpointAddress: ['nodeName'],
    EndpointPort: ['appProtocol'],
    EphemeralContainerCommon: ['restartPolicy'],
    FCVolumeSource: ['lun'],
    FileKeySelector: ['optional'],
    GRPCAction: ['service'],
    GlusterfsPersistentVolumeSource: ['endpointsNamespace'],
    HostPathVolumeSource: ['type'],
    ISCSIPersistentVolumeSource: ['initiatorName'],
    ISCSIVolumeSource: ['initiatorName'],
    KeyToPath: ['mode'],
    Lifecycle: ['stopSignal'],
    LoadBalancerIngress: ['ipMode'],
    LocalVolumeSource: ['fsType'],
    NodeFeatures: ['supplementalGroupsPolicy'],
    NodeRuntimeHandlerFeatures: ['recursiveReadOnlyMounts', 'userNamespaces'],
    NodeSwapStatus: ['capacity'],
    PersistentVolumeClaimSpec: ['storageClassName', 'volumeMode', 'volumeAttributesClassName'],
    PersistentVolumeClaimStatus: ['currentVolumeAttributesClassName'],
    PersistentVolumeSpec: ['volumeMode', 'volumeAttributesClassName'],
    PodCertificateProjection: ['maxExpirationSeconds'],
    PodDNSConfigOption: ['value'],
    PodLogOptions: ['sinceSeconds', 'tailLines', 'limitBytes', 'stream'],
    PodResourceClaim: ['resourceClaimName', 'resourceClaimTemplateName'],
    PodResourceClaimStatus: ['resourceClaimName'],
    PodSecurityContext: ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'supplementalGroupsPolicy', 'fsGroup',
      'fsGroupChangePolicy', 'seLinuxChangePolicy'],
    PodSpec: ['terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'automountServiceAccountToken',
      'shareProcessNamespace', 'priority', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy',
      'setHostnameAsFQDN', 'hostUsers', 'hostnameOverride'],
    PortStatus: ['error'],
    Preconditions: ['uid'],
    Probe: ['terminationGracePeriodSeconds'],
    ProjectedVolumeSource: ['defaultMode'],
    ReplicationControllerSpec: ['replicas'],
    ResourceHealth: ['message'],
    SeccompProfile: ['localhostProfile'],
    Secret: ['immutable'],
    SecretEnvSource: ['optional'],
    SecretKeySelector: ['optional'],
    SecretProjection: ['optional'],
    SecretVolumeSource: ['defaultMode', 'optional'],
    SecurityContext: ['privileged', 'runAsUser', 'runAsGroup', 'runAsNonRoot', 'readOnlyRootFilesystem',
      'allowPrivilegeEscalation', 'procMount'],
    ServiceAccount: ['automountServiceAccountToken'],
    ServiceAccountTokenProjection: ['expirationSeconds'],
    ServicePort: ['appProtocol'],
    ServiceSpec: ['ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass', 'internalTrafficPolicy',
      'trafficDistribution'],
    Toleration: ['tolerationSeconds'],
    TopologySpreadConstraint: ['minDomains', 'nodeAffinityPolicy', 'nodeTaintsPolicy'],
    TypedLocalObjectReference: ['apiGroup'],
    TypedObjectReference: ['apiGroup', 'namespace'],
    VolumeMount: ['recursiveReadOnly', 'mountPropagation'],
    VolumeMountStatus: ['recursiveReadOnly'],
    WindowsSecurityContextOptions: ['gmsaCredentialSpecName', 'gmsaCredentialSpec', 'runAsUserName', 'hostProcess'],
  },
  'k8s.io.api.apps.v1': {
    DeploymentSpec: ['replicas', 'revisionHistoryLimit', 'progressDeadlineSeconds'],
    DeploymentStatus: ['collisionCount', 'terminatingReplicas'],
    ReplicaSetSpec: ['replicas'],
    ReplicaSetStatus: ['terminatingReplicas'],
    StatefulSetSpec: ['replicas', 'revisionHistoryLimit'],
    StatefulSetStatus: ['collisionCount'],
    RollingUpdateStatefulSetStrategy: ['partition'],
    DaemonSetSpec: ['revisionHistoryLimit'],
    DaemonSetStatus: ['collisionCount'],
  },
  'k8s.io.api.batch.v1': {
    JobSpec: ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'backoffLimitPerIndex',
      'maxFailedIndexes', 'manualSelector', 'ttlSecondsAfterFinished', 'completionMode', 'suspend',
      'podReplacementPolicy', 'managedBy'],
    JobStatus: ['ready', 'failedIndexes', 'terminating'],
    CronJobSpec: ['startingDeadlineSeconds', 'suspend', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit',
      'timeZone'],
    PodFailurePolicyOnExitCodesRequirement: ['containerName'],
    SuccessPolicyRule: ['succeededIndexes', 'succeededCount'],
  },
  'k8s.io.api.policy.v1': {
    PodDisruptionBudgetSpec: ['unhealthyPodEvictionPolicy'],
  },
  'k8s.io.api.autoscaling.v1': {
    HorizontalPodAutoscalerSpec: ['minReplicas', 'targetCPUUtilizationPercentage'],
    HorizontalPodAutoscalerStatus: ['observedGeneration', 'currentCPUUtilizationPercentage'],
  },
  'k8s.io.api.autoscaling.v2': {
    HorizontalPodAutoscalerSpec: ['minReplicas'],
    HorizontalPodAutoscalerStatus: ['observedGeneration'],
    HPAScalingRules: ['stabilizationWindowSeconds', 'selectPolicy'],
    MetricTarget: ['averageUtilization'],
    MetricValueStatus: ['averageUtilization'],
  },
  'k8s.io.api.networking.v1': {
    IngressSpec: ['ingressClassName'],
    IngressClassParametersReference: ['apiGroup', 'scope', 'namespace'],
    HTTPIngressPath: ['pathType'],
    NetworkPolicyPort: ['protocol', 'endPort'],
    IngressPortStatus: ['error'],
  },
  'k8s.io.api.storage.v1': {
    StorageClass: ['reclaimPolicy', 'allowVolumeExpansion', 'volumeBindingMode'],
    CSIDriverSpec: ['attachRequired', 'podInfoOnMount', 'storageCapacity', 'requiresRepublish', 'seLinuxMount',
      'fsGroupPolicy', 'nodeAllocatableUpdatePeriodSeconds'],
    TokenRequest: ['expirationSeconds'],
    VolumeAttachmentSource: ['persistentVolumeName'],
    VolumeNodeResources: ['count'],
    VolumeError: ['errorCode'],
  },
  'k8s.io.api.coordination.v1': {
    LeaseSpec: ['holderIdentity', 'leaseDurationSeconds', 'leaseTransitions', 'strategy', 'preferredHolder'],
  },
  'k8s.io.api.discovery.v1': {
    Endpoint: ['hostname', 'nodeName', 'zone'],
    EndpointConditions: ['ready', 'serving', 'terminating'],
    EndpointPort: ['name', 'protocol', 'port', 'appProtocol'],
  },
  'k8s.io.api.scheduling.v1': {
    PriorityClass: ['preemptionPolicy'],
  },
  'k8s.io.api.authentication.v1': {
    TokenRequestSpec: ['expirationSeconds'],
  },
  'k8s.io.api.flowcontrol.v1': {
    LimitedPriorityLevelConfiguration: ['nominalConcurrencyShares', 'lendablePercent', 'borrowingLimitPercent'],
    ExemptPriorityLevelConfiguration: ['nominalConcurrencyShares', 'lendablePercent'],
  },
  [META]: {
    ObjectMeta: ['deletionGracePeriodSeconds'],
    OwnerReference: ['controller', 'blockOwnerDeletion'],
    ListMeta: ['remainingItemCount'],
    DeleteOptions: ['gracePeriodSeconds', 'orphanDependents', 'propagationPolicy',
      'ignoreStoreReadErrorWithClusterBreakingPotential'],
    Preconditions: ['uid', 'resourceVersion'],
  },
};

/** Embedded structs (`json:",inline"`): their fields appear in the parent object. */
const INLINE: Table = {
  [CORE]: {
    ConfigMapEnvSource: ['localObjectReference'],
    ConfigMapKeySelector: ['localObjectReference'],
    ConfigMapProjection: ['localObjectReference'],
    ConfigMapVolumeSource: ['localObjectReference'],
    SecretEnvSource: ['localObjectReference'],
    SecretKeySelector: ['localObjectReference'],
    SecretProjection: ['localObjectReference'],
    EphemeralContainer: ['ephemeralContainerCommon'],
    Volume: ['volumeSource'],
    PersistentVolumeSpec: ['persistentVolumeSource'],
    Probe: ['handler'],
  },
  'k8s.io.api.networking.v1': {
    IngressRule: ['ingressRuleValue'],
  },
};

/**
 * Fields documented `+optional` whose Go JSON tag still has no `omitempty`. Only scalars matter:
 * lists, maps and struct pointers are left out when empty anyway (see protobuf.ts).
 */
const OPTIONAL_WITHOUT_OMITEMPTY: Table = {
  [CORE]: { Event: ['reportingComponent', 'reportingInstance'] },
  'k8s.io.api.rbac.v1': { Role: ['rules'], ClusterRole: ['rules'] },
  'k8s.io.api.discovery.v1': { EndpointSlice: ['ports'] },
  'k8s.io.api.flowcontrol.v1': { FlowSchemaSpec: ['matchingPrecedence'], QueuingConfiguration: ['queues', 'handSize', 'queueLengthLimit'] },
};

/** Fields whose comment lacks `+optional` although their Go JSON tag has `omitempty`. */
const OMITEMPTY_WITHOUT_OPTIONAL: Table = {
  'k8s.io.api.apps.v1': {
    DeploymentCondition: ['reason', 'message'],
    StatefulSetStatus: ['currentReplicas', 'readyReplicas', 'updatedReplicas', 'currentRevision', 'updateRevision'],
  },
  'k8s.io.api.events.v1': { Event: ['action', 'reason', 'type', 'reportingController', 'reportingInstance'] },
  'k8s.io.api.flowcontrol.v1': {
    FlowSchemaCondition: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    PriorityLevelConfigurationCondition: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  },
  [META]: {
    ManagedFieldsEntry: ['manager', 'operation', 'apiVersion', 'fieldsType', 'subresource'],
    ListMeta: ['continue'],
  },
};

function flatten(table: Table): Set<string> {
  const out = new Set<string>();
  for (const [pkg, messages] of Object.entries(table)) {
    for (const [message, fields] of Object.entries(messages)) {
      for (const f of fields) out.add(`${pkg}.${message}.${f}`);
    }
  }
  return out;
}

/** Keys are `<full.proto.Message>.<field>`, without a leading dot. */
export const goPointerScalars: ReadonlySet<string> = flatten(POINTER_SCALARS);
export const goInlineFields: ReadonlySet<string> = flatten(INLINE);
export const goOptionalWithoutOmitempty: ReadonlySet<string> = flatten(OPTIONAL_WITHOUT_OMITEMPTY);
export const goOmitemptyWithoutOptional: ReadonlySet<string> = flatten(OMITEMPTY_WITHOUT_OPTIONAL);

/**
 * Fields whose protobuf name is not their JSON name: go-to-protobuf takes the name from the
 * Go tag `protobuf:"...,name=uID"`, encoding/json from `json:"uid"`. Found by comparing every
 * proto field with kubernetes-types (generated from upstream's OpenAPI).
 */
const JSON_NAMES: Readonly<Record<string, string>> = {
  'k8s.io.api.authentication.v1.BoundObjectReference.uID': 'uid',
};

/** A field's JSON name; `message` is the full proto name without a leading dot. */
export function goJsonName(message: string, field: string): string {
  return JSON_NAMES[`${message}.${field}`] ?? field;
}
