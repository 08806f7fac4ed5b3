// Some upstream messages print the offending value with Go's %#v (field.Invalid on a map or
// struct). Clients show those messages verbatim, so we render the same text.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from '../../api/errors.js';

/** `map[string]string{"a":"b", "c":"d"}`; Go sorts map keys when printing. */
export function goStringMap(m: Record<string, string> | undefined): string {
  if (m === undefined) return 'map[string]string(nil)';
  const entries = Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** A v1.LabelSelector as %#v prints it (ValidateImmutableField on spec.selector). */
export function goLabelSelector(sel: LabelSelector | undefined): string {
  if (sel === undefined) return '(*v1.LabelSelector)(nil)';
  const exprs = sel.matchExpressions === undefined ? '[]v1.LabelSelectorRequirement(nil)'
    : `[]v1.LabelSelectorRequirement{${sel.matchExpressions.map((e) =>
      `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key)}, Operator:${JSON.stringify(e.operator)}, Values:${e.values === undefined ? '[]string(nil)' : `[]string{${e.values.map((v) => JSON.stringify(v)).join(', ')}}`}}`).join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** intstr.IntOrString as %#v prints it. */
export function goIntOrString(v: number | string | undefined): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${v ?? 0}, StrVal:""}`;
}

/** field.Invalid with a value already rendered the way Go prints it. */
export function invalidRaw(path: string, rendered: string, detail: string): FieldError {
  return { field: path, type: 'FieldValueInvalid', message: `${rendered}: ${detail}` };
}

export function notFound(path: string, value: unknown): FieldError {
  return { field: path, type: 'FieldValueNotFound', message: JSON.stringify(value) };
}
