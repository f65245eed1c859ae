import { PRICES } from '../benchmarks/cost.ts';

/**
 * AWS list prices in us-east-1 (on-demand DynamoDB, Lambda on arm64, S3 Standard) that a refresh
 * pays; the DynamoDB and Lambda ones are the cost model's own (`PRICES`, see the README for their date).
 */
export const REFRESH_PRICES = {
  dynamoDbReadRequestUnitsPerMillion: PRICES.dynamoDbReadRequestUnitsPerMillion,
  lambdaArmGbSecond: PRICES.lambdaArmGbSecond,
  lambdaRequestsPerMillion: PRICES.lambdaRequestsPerMillion,
  /** Ephemeral storage beyond the 512 MB included, per GB-second. */
  lambdaEphemeralGbSecond: 0.0000000309,
  /** PUT, COPY, POST and LIST requests. */
  s3PutPerThousand: 0.005,
  s3GetPerThousand: 0.0004,
  s3StorageGbMonth: 0.023,
};

/** The refresh function as the Analytics construct deploys it. */
export const REFRESH_FUNCTION = { memoryMb: 3008, ephemeralStorageMb: 10_240, timeoutSeconds: 900 };

export type RefreshCostInput = {
  /** Read units of the shop's whole feed (eventually consistent Queries, see `queryReadUnits`). */
  feedReadUnits: number;
  /** The refresh's duration, seconds. */
  seconds: number;
  /** The snapshot's files and their total size. */
  snapshotFiles: number;
  snapshotBytes: number;
  /** How often the schedule refreshes a shop. @default 24 */
  refreshHours?: number;
};

const GB = 1024 ** 3;

/**
 * One refresh of one shop in dollars, item by item, with the formula of each:
 *
 * - DynamoDB: the feed's read units × the price per read unit (on demand);
 * - Lambda: seconds × 3,008 MB in GB × the arm64 GB-second price, the request, and the ephemeral
 *   storage configured beyond the free 512 MB;
 * - S3 requests of `SnapshotStore.publish`: one GET (the previous `latest.json`), one PUT per file and
 *   one for `latest.json`, one LIST (deleting the snapshot before last is free);
 * - S3 storage: each snapshot is kept until the refresh after next, so two refresh periods.
 */
export const refreshCost = (input: RefreshCostInput) => {
  const p = REFRESH_PRICES;
  const refreshHours = input.refreshHours ?? 24;
  const gbSeconds = input.seconds * (REFRESH_FUNCTION.memoryMb / 1024);
  const ephemeralGbSeconds = input.seconds * ((REFRESH_FUNCTION.ephemeralStorageMb - 512) / 1024);
  const s3Puts = input.snapshotFiles + 1 + 1;
  const s3Gets = 1;
  const storedGbMonths = (input.snapshotBytes / GB) * ((2 * refreshHours) / 24 / 30);
  const dollars = {
    dynamoDb: (input.feedReadUnits * p.dynamoDbReadRequestUnitsPerMillion) / 1e6,
    lambda:
      gbSeconds * p.lambdaArmGbSecond +
      p.lambdaRequestsPerMillion / 1e6 +
      ephemeralGbSeconds * p.lambdaEphemeralGbSecond,
    s3Requests: (s3Puts * p.s3PutPerThousand) / 1000 + (s3Gets * p.s3GetPerThousand) / 1000,
    s3Storage: storedGbMonths * p.s3StorageGbMonth,
  };
  return {
    dollars: { ...dollars, total: Object.values(dollars).reduce((sum, d) => sum + d, 0) },
    inputs: { ...input, refreshHours, gbSeconds, ephemeralGbSeconds, s3Puts, s3Gets, storedGbMonths },
    prices: p,
    formulas: {
      dynamoDb:
        'feed read units × $0.125 / 1e6 (each Query page: ceil(page bytes / 4 KB) × 0.5, eventually consistent)',
      lambda:
        'seconds × 3008/1024 GB × $0.0000133334 + $0.20 / 1e6 + seconds × (10240 − 512)/1024 GB × $0.0000000309',
      s3Requests: '(files + 2) PUT/LIST × $0.005 / 1000 + 1 GET × $0.0004 / 1000',
      s3Storage: 'snapshot GB × (2 × refresh hours / 24 / 30) months × $0.023',
    },
  };
};
