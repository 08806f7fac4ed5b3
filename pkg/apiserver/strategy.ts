// What a kind adds to the generic store: defaults, validation beyond the schema, what an
// update may change, and the status subresource's rules. Kinds register one in registry/.
import type { FieldError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';

export interface StrategyContext {
  /** Reads another object (e.g. a PriorityClass during pod admission); undefined when absent. */
  get(group: string, plural: string, namespace: string, name: string): Promise<KubeObject | undefined>;
}

export interface Strategy<T extends KubeObject = KubeObject> {
  /** Kubernetes' defaulting (SetDefaults_*), applied on create and update after decoding. */
  defaults?(obj: T): void;
  /** Clears what clients may not set on create (usually status) and sets generation. */
  prepareForCreate?(obj: T): void;
  validate?(obj: T): FieldError[];
  /** Copies status from old, bumps generation when spec changed, etc. */
  prepareForUpdate?(obj: T, old: T): void;
  validateUpdate?(obj: T, old: T): FieldError[];
  /** For the status subresource: keep everything but status from old. */
  prepareForStatusUpdate?(obj: T, old: T): void;
  validateStatusUpdate?(obj: T, old: T): FieldError[];
  /** Admission-time mutation that needs other objects (service account, priority, tolerations). */
  admit?(obj: T, ctx: StrategyContext): Promise<void>;
  /** The grace period a delete without one uses (pods: spec.terminationGracePeriodSeconds). */
  defaultGracePeriodSeconds?(obj: T): number;
  /**
   * Whether a graceful delete may end at once: pods not yet bound to a node, or already
   * finished, are removed immediately as in Kubernetes.
   */
  deleteImmediately?(obj: T): boolean;
}

export type StrategyFor = (res: ResourceInfo) => Strategy;
