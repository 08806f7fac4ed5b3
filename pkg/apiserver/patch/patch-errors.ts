// The Status errors the upstream patch handler (apiserver endpoints/handlers/patch.go)
// returns, and the Go `%v` rendering its messages embed.
import { StatusError, errors, field } from '../../api/errors.js';
import { MAX_NESTING_DEPTH } from '../../api/nesting-depth.js';

/** Patch types a built-in resource accepts, in the order upstream lists them. */
export const acceptedPatchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

export const patchErrors = {
  unsupportedMediaType: () =>
    new StatusError(415, 'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${acceptedPatchTypes.join(', ')}`),

  /** errors.NewGenericServerResponse(422, ...): what a failing json-patch op and some SMP errors give. */
  unprocessable: (message: string) =>
    new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request',
      { causes: [{ reason: 'UnexpectedServerResponse', message }] }),

  /** errors.NewInvalid(GroupKind{}, "", [field.Invalid("patch", ...)]): the patched document does not decode. */
  undecodable: (patched: unknown, why: string) =>
    errors.invalid('', '', '', [field.invalid('patch', typeof patched === 'string' ? patched : JSON.stringify(patched), why)]),

  /**
   * A plain Go error reaching the handler. Upstream answers these with a 500 and reason Unknown,
   * though the patch is what is wrong; a client error must never read as a server fault, so
   * tskube answers 400 with upstream's message.
   */
  unknown: (message: string) => errors.badRequest(message),

  /** The patched document nests deeper than any walk over it may go. */
  tooDeep: () => patchErrors.unprocessable(`the patched object exceeds the max depth of ${MAX_NESTING_DEPTH}`),
};

/** Renders a decoded JSON value like Go's fmt `%v` of map[string]interface{} values. */
export function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${k}:${goFormat((value as Record<string, unknown>)[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  return String(value);
}

/** The JSON type name Go's encoding/json uses in "cannot unmarshal X into ..." errors. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
