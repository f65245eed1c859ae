import type { Context } from 'aws-lambda';
import type { Key } from '#adapters/store/keys.ts';
import { logger } from '#commons/logger.ts';
import type { PrivacyRequest } from '#domain/change.ts';
import { type ExportStores, exportCustomer } from './export.ts';
import { type RedactStores, redactCustomer } from './redact.ts';

/** Time kept back from the Lambda timeout to record progress before it runs out. */
const SAFETY_MS = 30_000;

/** A privacy request item as the stream carries it. */
export type RequestItem = Key & {
  shop: string;
  request: PrivacyRequest;
  status: string;
  progress?: { cursor?: Key };
};

/** Carries out one pending request; a shop redaction too large for one run records where to continue. */
export const carryOut = async (
  stores: RedactStores & ExportStores,
  { pk, sk, shop, request, progress }: RequestItem,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<void> => {
  const { privacy } = stores;
  const key = { pk, sk };
  const at = new Date().toISOString();
  if (request.type === 'data-request') {
    await privacy.finishDataRequest(key, await exportCustomer(stores, shop, request), at);
    logger.info('data request exported', {
      shop,
      customerId: request.customerId,
      requestId: request.requestId,
    });
  } else if (request.type === 'customer-redact') {
    const deleted = await redactCustomer(stores, shop, request);
    await privacy.finish(key, { status: 'done', deleted, at });
    logger.info('customer redacted', { shop, customerId: request.customerId, deleted });
  } else {
    const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS;
    const { deleted, cursor } = await privacy.deleteShopItems(shop, key, deadline, progress?.cursor);
    // Recording a cursor modifies the request, whose stream record brings it back here to continue.
    await privacy.finish(key, cursor ? { status: 'pending', cursor } : { status: 'done', deleted, at });
    logger.info('shop redaction', { shop, deleted, finished: cursor === null });
  }
};
