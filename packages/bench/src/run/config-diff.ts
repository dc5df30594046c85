/** The options two run configs disagree on, as flags: "--steps 2 vs 4, --lr 0.002 vs 0.001". */
import { flagName } from './options.js';

const show = (v: unknown): string => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));

export function describeConfigDifference(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const diff = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${flagName(k)} ${show(a[k])} vs ${show(b[k])}`);
  return diff.length ? diff.join(', ') : 'no option differs';
}
