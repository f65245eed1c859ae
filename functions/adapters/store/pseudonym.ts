import { createHmac } from 'node:crypto';

/**
 * A customer's name in what outlives their redaction (the record that they were redacted): an
 * HMAC of shop and id under a secret pepper, so the id cannot be recovered by trying ids.
 */
export const customerPseudonym = (pepper: string, shop: string, customerId: string): string =>
  createHmac('sha256', pepper).update(`${shop}\n${customerId}`).digest('hex').slice(0, 40);
