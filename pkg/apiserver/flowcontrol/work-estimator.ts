// How many seats a request occupies while it executes (upstream's request/list_work_estimator
// and width.go): lists by the number of objects they walk, everything else one seat.
import type { RequestAttributes } from './request-attributes.js';

/** Upstream's ObjectsPerSeat and MaximumSeatsLimit. */
const OBJECTS_PER_SEAT = 100;
export const MAXIMUM_SEATS_LIMIT = 10;
const MINIMUM_SEATS = 1;

export interface ListQueryHints {
  limit?: number | undefined;
  hasSelector: boolean;
  /** Served from etcd rather than the watch cache (a consistent list of a limited page, or Exact). */
  fromStorage: boolean;
  sendInitialEvents?: boolean | undefined;
}

/**
 * Seats for one request. `objectCount` is the stored objects of the resource as the watch
 * cache holds them (undefined when the cache has not loaded: upstream then takes the maximum,
 * as it does when its count is stale). `maxSeats` is the priority level's bound.
 */
export function estimateSeats(attrs: RequestAttributes, hints: ListQueryHints, objectCount: number | undefined, maxSeats: number): number {
  const max = Math.max(MINIMUM_SEATS, Math.min(maxSeats, MAXIMUM_SEATS_LIMIT));
  if (attrs.verb !== 'list' && attrs.verb !== 'watch') return MINIMUM_SEATS;
  // A watch costs list-like work only when it asks for the initial events (watch-list).
  if (attrs.verb === 'watch' && !hints.sendInitialEvents) return MINIMUM_SEATS;
  if (objectCount === undefined) return max;
  const stored = objectCount;
  const limit = hints.limit !== undefined && hints.limit > 0 && hints.limit < stored ? hints.limit : stored;
  let processed: number;
  if (attrs.verb === 'watch' || !hints.fromStorage) processed = stored;
  else if (hints.hasSelector) processed = stored + limit;
  else processed = 2 * limit;
  return Math.max(MINIMUM_SEATS, Math.min(max, Math.ceil(processed / OBJECTS_PER_SEAT)));
}

/** Upstream's shouldListFromStorage, as this server's Store decides it (Store.list): what the cache cannot answer goes to etcd. */
export function listHints(query: URLSearchParams): ListQueryHints {
  const limitText = query.get('limit');
  const limit = limitText !== null && /^\d+$/.test(limitText) ? Number(limitText) : undefined;
  const rv = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  const hasContinue = !!query.get('continue');
  const fromCache = !hasContinue && (rv === '0' || (rv !== '' && match !== 'Exact' && !(match === '' && limit)));
  const fromStorage = !fromCache;
  const sie = query.get('sendInitialEvents');
  return {
    limit, fromStorage,
    hasSelector: !!query.get('labelSelector') || !!query.get('fieldSelector'),
    sendInitialEvents: sie === null ? undefined : ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(sie),
  };
}
