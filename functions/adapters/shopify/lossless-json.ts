/** What Node 24's `JSON.parse` hands a reviver with each primitive: its source text. */
type ReviverContext = { source?: string };

const INTEGER = /^-?\d+$/;

/**
 * `JSON.parse` that keeps an integer beyond 2^53 exact, as its digits: Shopify's ids can exceed
 * it (its own sample payloads carry `"id": 820982911946154508`), and a rounded id names another
 * order. Schemas take ids as digit strings; every other value is parsed as usual.
 */
export const parseJsonLossless = (text: string): unknown =>
  JSON.parse(text, (_key: string, value: unknown, context?: ReviverContext) =>
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source !== undefined &&
    INTEGER.test(context.source)
      ? context.source
      : value,
  );
