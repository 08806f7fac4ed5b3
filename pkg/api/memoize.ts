// For pure functions that see the same few inputs on every request (quantities, label keys and
// values, request paths): each result is computed once. Past `limit` inputs everything is
// forgotten, so that inputs that never repeat (object names in paths) cannot grow it, and
// inputs longer than `maxKeyLength` are computed every time and never kept: a client sending
// distinct megabyte-long label values must not be able to fill the cache with them.
// Results are shared between callers, so they must be treated as read-only.
export function memoize<K, V>(compute: (key: K) => V, limit = 4096, maxKeyLength = 512): (key: K) => V {
  const results = new Map<K, V>();
  return (key) => {
    if (typeof key === 'string' && key.length > maxKeyLength) return compute(key);
    const known = results.get(key);
    if (known !== undefined || results.has(key)) return known as V;
    const value = compute(key);
    if (results.size >= limit) results.clear();
    results.set(key, value);
    return value;
  };
}
