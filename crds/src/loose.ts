// Cross-field rules (unique port names, addresses matching addressType...) run
// even when some field of the object is invalid, so one pass reports every
// problem the way the API server does. zod skips refinements on objects with
// failed children unless told otherwise, and then hands over a partially
// parsed value: these guards read such values without trusting their type.

/** superRefine option: run even when children failed. */
export const ALWAYS = { when: () => true } as const;

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asRecords(value: unknown): (Record<string, unknown> | undefined)[] {
  return Array.isArray(value) ? value.map(asRecord) : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asStrings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}
