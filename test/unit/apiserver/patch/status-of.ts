import { StatusError } from '../../../../pkg/api/errors.js';

/** The Status a call fails with, or undefined when it does not throw a StatusError. */
export function statusOf(fn: () => unknown): StatusError['status'] | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e.status;
    throw e;
  }
  return undefined;
}
