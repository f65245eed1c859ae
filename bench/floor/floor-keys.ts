/**
 * The floor function's items: outside the app's `SHOP#` key layout, so no reader of the app ever
 * meets one, and of a kind no stream filter of the app selects.
 */
export const FLOOR_KIND = 'bench-floor';

const FLOOR_SK = 'FLOOR';

/** Every floor item of one shop starts with this partition key. */
export const floorPkPrefix = (shop: string) => `BENCH#FLOOR#${shop}#`;

/** One item per webhook (shop and event id), as an ingest keeps one marker per delivery. */
export const floorKey = (shop: string, eventId: string) => ({
  pk: `${floorPkPrefix(shop)}${eventId}`,
  sk: FLOOR_SK,
});
