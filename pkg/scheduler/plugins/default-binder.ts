// DefaultBinder: binds through a callback (the scheduler posts pods/binding).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Code, SUCCESS, newStatus, type SchedulerPlugin } from '../framework/types.js';

export const DEFAULT_BINDER = 'DefaultBinder';

export type BindFunc = (pod: Pod, nodeName: string) => Promise<void>;

export function defaultBinder(bind: BindFunc): SchedulerPlugin {
  return {
    name: DEFAULT_BINDER,
    async bind(_state, pod, nodeName) {
      try {
        await bind(pod, nodeName);
        return SUCCESS;
      } catch (err) {
        return newStatus(Code.Error, err instanceof Error ? err.message : String(err));
      }
    },
  };
}
