import type { ZodError } from 'zod';

/** A zod error as one line a caller can act on: `line_items.0.quantity: Too small; …`. */
export const describeIssues = (error: ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
