/**
 * EventBridge event-pattern matching (also used by Lambda event filtering), per AWS's
 * "Content filtering in event patterns": exact values, prefix, suffix, anything-but, numeric,
 * exists, equals-ignore-case, wildcard, cidr (IPv4) and $or. A pattern matches when every
 * field it names matches; a leaf matches when any of its values matches (for an array field:
 * any element does).
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Pattern = { [key: string]: unknown };

export class EventPatternError extends Error {
  override name = 'EventPatternError';
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const matchesPattern = (pattern: Pattern, event: unknown): boolean =>
  Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') {
      if (!Array.isArray(sub)) throw new EventPatternError('$or takes an array of patterns');
      return sub.some((alternative) => matchesPattern(alternative as Pattern, event));
    }
    const present = isObject(event) && key in event;
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(sub)) return matchesLeaf(sub, present, value);
    // An absent (or non-object) field still matches a nested pattern made only of `exists: false`.
    if (isObject(sub)) return matchesPattern(sub, isObject(value) ? value : {});
    throw new EventPatternError(`pattern field "${key}" must be an array or an object`);
  });

const matchesLeaf = (matchers: unknown[], present: boolean, value: unknown): boolean => {
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) {
      const isLeaf = present && !isObject(value);
      return matcher.exists === true ? isLeaf : !isLeaf;
    }
    if (!present) return false;
    return values.some((v) => matchesOne(matcher, v as Json));
  });
};

const wildcardRegex = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );

const stringOp = (op: unknown, v: Json, test: (s: string, needle: string) => boolean): boolean => {
  if (typeof v !== 'string') return false;
  if (typeof op === 'string') return test(v, op);
  if (isObject(op) && typeof op['equals-ignore-case'] === 'string')
    return test(v.toLowerCase(), op['equals-ignore-case'].toLowerCase());
  throw new EventPatternError(`unsupported string operand ${JSON.stringify(op)}`);
};

const NUMERIC_OPS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

const ipv4 = (s: string): number | null => {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
};

const matchesOne = (matcher: unknown, v: Json): boolean => {
  if (matcher === null || typeof matcher !== 'object') {
    if (typeof matcher === 'number' && typeof v === 'number') return matcher === v;
    return matcher === v;
  }
  if (!isObject(matcher)) throw new EventPatternError(`unsupported matcher ${JSON.stringify(matcher)}`);
  const [op, operand] = Object.entries(matcher)[0] ?? [];
  switch (op) {
    case 'prefix':
      return stringOp(operand, v, (s, n) => s.startsWith(n));
    case 'suffix':
      return stringOp(operand, v, (s, n) => s.endsWith(n));
    case 'equals-ignore-case':
      return (
        typeof v === 'string' && typeof operand === 'string' && v.toLowerCase() === operand.toLowerCase()
      );
    case 'wildcard':
      return typeof v === 'string' && typeof operand === 'string' && wildcardRegex(operand).test(v);
    case 'anything-but': {
      if (Array.isArray(operand)) return !operand.some((o) => matchesOne(o, v));
      if (isObject(operand)) return !matchesOne(operand, v);
      return !matchesOne(operand, v);
    }
    case 'numeric': {
      if (typeof v !== 'number' || !Array.isArray(operand) || operand.length % 2 !== 0) return false;
      for (let i = 0; i < operand.length; i += 2) {
        const compare = NUMERIC_OPS[String(operand[i])];
        const bound = operand[i + 1];
        if (!compare || typeof bound !== 'number')
          throw new EventPatternError(`bad numeric matcher ${JSON.stringify(operand)}`);
        if (!compare(v, bound)) return false;
      }
      return true;
    }
    case 'cidr': {
      if (typeof v !== 'string' || typeof operand !== 'string') return false;
      const [network = '', bitsText = '32'] = operand.split('/');
      const base = ipv4(network);
      const ip = ipv4(v);
      const bits = Number(bitsText);
      if (base === null || ip === null) return false;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return (ip & mask) >>> 0 === (base & mask) >>> 0;
    }
    default:
      throw new EventPatternError(`unsupported matcher "${String(op)}"`);
  }
};
