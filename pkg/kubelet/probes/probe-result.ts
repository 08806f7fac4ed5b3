// What a single probe run says (pkg/probe Result): warning counts as success but is reported
// (an HTTP redirect the kubelet did not follow). `output` is what events show after
// "<Type> probe failed: ".
export type ProbeResult = 'success' | 'warning' | 'failure';

export interface ProbeOutcome {
  result: ProbeResult;
  output: string;
}

/** Thrown by a prober when it could not run the probe at all (upstream: probe.Unknown with an error). */
export class ProbeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProbeError';
  }
}
