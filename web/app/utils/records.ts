// Records keyed by id (`Record<number, T>` in the stores) are replaced, never mutated with
// `delete`: a new object is what Vue's reactivity and the plain functions here expect.

/** A copy of `record` without `key`; the record itself when it has no such key. */
export function withoutKey<V>(record: Record<number, V>, key: number): Record<number, V> {
  if (!(key in record)) return record
  const { [key]: _removed, ...rest } = record
  return rest
}
