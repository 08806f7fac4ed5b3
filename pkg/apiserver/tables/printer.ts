// What a printer is — column definitions plus a row function — and the cell formats
// several of upstream's printers share.
import { since } from './human-duration.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition { type: string; status: string; reason?: string; message?: string }

export interface PrintedRow { cells: unknown[]; conditions?: TableRowCondition[] }

// Objects arrive as parsed JSON of many kinds; each printer reads only the fields its kind defines.
export type Obj = Record<string, any>;

export interface Printer {
  columns: TableColumnDefinition[];
  /** Every cell, including priority > 0 ones: the server always prints wide and kubectl hides them. */
  row(obj: Obj, now: Date): PrintedRow;
}

export const NAME_DESCRIPTION = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const AGE_DESCRIPTION = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** A column; `wide` marks priority 1 (shown only with -o wide). */
export function col(name: string, type: string, description: string, wide = false, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority: wide ? 1 : 0 };
}
export const nameCol = (): TableColumnDefinition => col('Name', 'string', NAME_DESCRIPTION, false, 'name');
export const ageCol = (): TableColumnDefinition => col('Age', 'string', AGE_DESCRIPTION);
export const containersCol = (): TableColumnDefinition => col('Containers', 'string', 'Names of each container in the template.', true);
export const imagesCol = (): TableColumnDefinition => col('Images', 'string', 'Images referenced by each container in the template.', true);

export const name = (o: Obj): string => o.metadata?.name ?? '';
export const age = (o: Obj, now: Date): string => since(o.metadata?.creationTimestamp, now);
export const int = (v: unknown): number => (typeof v === 'number' ? v : 0);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** layoutContainerCells: container names and images, comma-joined. */
export function containerCells(containers: unknown): [string, string] {
  const list: Obj[] = Array.isArray(containers) ? containers : [];
  return [list.map((c) => str(c.name)).join(','), list.map((c) => str(c.image)).join(',')];
}

/** labels.FormatLabels: `k=v` sorted by key, `<none>` when empty. */
export function formatLabels(map: unknown): string {
  const entries = Object.entries((map ?? {}) as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

/** RFC 3339 in UTC, as the `Created At` cells print metav1.Time. */
export function createdAt(o: Obj): string {
  const t = Date.parse(str(o.metadata?.creationTimestamp));
  return Number.isNaN(t) ? '' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** printers' listWithMoreString: the first three, then ` + N more...`, `<unset>` when none. */
export function listWithMore(items: string[], max = 3, empty = '<unset>'): string {
  const shown = items.slice(0, max).join(',');
  if (items.length > max) return `${shown} + ${items.length - max} more...`;
  return shown === '' ? empty : shown;
}

/** `kind.group/name` as formatResourceName prints a controller reference. */
export function formatResourceName(apiVersion: string, kind: string, objName: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${objName}`;
}
