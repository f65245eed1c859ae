import type { ZodType } from 'zod';
import { describeIssues } from './validation.ts';

/**
 * A secret's value that may be a plain string or JSON: null for a plain string, else the JSON read
 * with `schema`. Errors name the secret and the problem, never a value (it is a secret).
 */
export const secretJson = <T>(secretValue: string, schema: ZodType<T>, label: string): T | null => {
  if (!secretValue.trimStart().startsWith('{')) return null;
  let json: unknown;
  try {
    json = JSON.parse(secretValue);
  } catch {
    throw new Error(`${label} starts with "{" but is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${label} JSON: ${describeIssues(parsed.error)}`);
  return parsed.data;
};
