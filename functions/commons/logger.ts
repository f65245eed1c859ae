import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per function; service name and level come from POWERTOOLS_* env. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'loyalty-loop' });
