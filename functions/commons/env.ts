/**
 * Reads required environment variables once, at cold start. A missing one fails the function's
 * initialisation with a message naming it, rather than a request halfway through.
 */
export const requireEnv = <const K extends string>(...names: K[]): Record<K, string> => {
  const missing = names.filter((name) => !process.env[name]);
  if (missing.length > 0) throw new Error(`missing environment variable(s): ${missing.join(', ')}`);
  return Object.fromEntries(names.map((name) => [name, process.env[name] as string])) as Record<K, string>;
};
