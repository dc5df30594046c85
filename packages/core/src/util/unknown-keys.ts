/**
 * Unknown keys in a config object, found by walking its zod schema.
 *
 * zod's plain `z.object` strips keys it does not know, so a typo such as
 * `numResBlock` for `numResBlocks` silently trains the default model while the
 * misspelled config is recorded as if it had been applied. Every config that
 * enters the registry (and the tokenizer spec, the run options) is checked
 * with this first, so the mistake is an error that names the key and the
 * nearest valid one. Loose objects (`z.looseObject`, a catchall) accept any key.
 */
import type { z } from 'zod';

export interface UnknownKey {
  /** Path of the object holding the key, e.g. ['layer', 'config']; [] for the top level. */
  path: string[];
  key: string;
  /** The valid keys of that object. */
  valid: string[];
  /** The valid key closest to `key` (edit distance), when one is close enough to be a likely typo. */
  suggestion?: string;
}

type Def = { type: string } & Record<string, unknown>;

function defOf(schema: unknown): Def | undefined {
  const d = (schema as { def?: unknown } | null)?.def;
  return d && typeof d === 'object' && typeof (d as { type?: unknown }).type === 'string' ? (d as Def) : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Levenshtein distance, case-insensitive (a wrong capital is a typo too). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** The candidate nearest to `word`, if within a third of its length (at least 2 edits), or sharing a prefix. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  if (bestD <= limit) return best;
  const lw = word.toLowerCase();
  return candidates.find((c) => c.toLowerCase().startsWith(lw) || lw.startsWith(c.toLowerCase()));
}

function walk(schema: unknown, value: unknown, path: string[], out: UnknownKey[]): void {
  const def = defOf(schema);
  if (!def) return;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return walk(def['innerType'], value, path, out);
    case 'pipe':
      return walk(def['in'], value, path, out);
    case 'lazy':
      return walk((def['getter'] as () => unknown)(), value, path, out);
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => walk(def['element'], v, [...path, String(i)], out));
      return;
    case 'record':
      if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) walk(def['valueType'], v, [...path, k], out);
      return;
    case 'union': {
      // The option that fits best: a value matching one branch exactly has no unknown keys.
      let best: UnknownKey[] | undefined;
      for (const option of def['options'] as unknown[]) {
        const found: UnknownKey[] = [];
        walk(option, value, path, found);
        if (!best || found.length < best.length) best = found;
      }
      if (best) out.push(...best);
      return;
    }
    case 'object': {
      if (!isPlainObject(value)) return;
      const shape = def['shape'] as Record<string, unknown>;
      const catchall = defOf(def['catchall']);
      const strictKeys = !catchall || catchall.type === 'never';
      const valid = Object.keys(shape);
      for (const [k, v] of Object.entries(value)) {
        if (k in shape) walk(shape[k], v, [...path, k], out);
        else if (strictKeys && v !== undefined) {
          const suggestion = nearest(k, valid);
          out.push({ path, key: k, valid, ...(suggestion ? { suggestion } : {}) });
        }
      }
      return;
    }
    default:
      return;
  }
}

/** Every key of `value` that `schema` does not declare, at any depth. */
export function unknownKeys(schema: z.ZodType, value: unknown): UnknownKey[] {
  const out: UnknownKey[] = [];
  walk(schema, value, [], out);
  return out;
}

/** One message for an unknown key: "unknown key 'numResBlock' (did you mean 'numResBlocks'? valid: ...)". */
export function describeUnknownKey(u: UnknownKey): string {
  const hint = u.suggestion ? `did you mean '${u.suggestion}'? ` : '';
  return `unknown key '${u.key}' (${hint}valid: ${u.valid.length ? u.valid.join(', ') : 'none'})`;
}
