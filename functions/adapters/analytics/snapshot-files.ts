/**
 * Where the analytics bucket keeps what, in one place (the CDK app grants by these prefixes):
 *
 * | object | key |
 * |---|---|
 * | a shop's latest snapshot (which one, when) | `snapshots/{shop}/latest.json` |
 * | a snapshot's files (Parquet tables, definitions) | `snapshots/{shop}/{snapshotId}/{file}` |
 * | a cached report answer | `results/{shop}/{snapshotId}/{report}/{sha256 of the request}.json` |
 */
export const SNAPSHOTS_PREFIX = 'snapshots/';
export const RESULTS_PREFIX = 'results/';

export const latestKey = (shop: string) => `${SNAPSHOTS_PREFIX}${shop}/latest.json`;
export const snapshotPrefix = (shop: string, snapshotId: string) =>
  `${SNAPSHOTS_PREFIX}${shop}/${snapshotId}/`;
export const resultKey = (shop: string, snapshotId: string, report: string, requestHash: string) =>
  `${RESULTS_PREFIX}${shop}/${snapshotId}/${report}/${requestHash}.json`;
