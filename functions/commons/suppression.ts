import { createHash } from 'node:crypto';

/**
 * What remains of an address after a redaction, to keep honouring its opt-out: a SHA-256 of the
 * shop and the normalised address, never the address itself.
 */
export const suppressionHash = (shop: string, email: string): string =>
  createHash('sha256').update(`${shop}\n${email.trim().toLowerCase()}`).digest('hex');
