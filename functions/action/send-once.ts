import type { ClaimRecord, SendKey, SendLedger } from '#adapters/store/send-ledger.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { logger } from '#commons/logger.ts';

/**
 * Sends once per ledger key: claims the entry, then sends. A failure before SES accepted the
 * email releases the claim (a few tries: a claim left standing would withhold the email for good),
 * due again after a backoff, and is thrown, so Lambda's retry (or the dispatcher) can send. After SES accepted, nothing can send it again.
 * Returns SES's message id, or null when another invocation holds the claim.
 */
export const sendOnce = async (
  ledger: SendLedger,
  send: SendKey,
  claimant: string,
  record: ClaimRecord,
  deliver: () => Promise<string>,
  now = new Date(),
): Promise<string | null> => {
  try {
    // The claim's time is the email's send time (what the frequency cap counts).
    if ((await ledger.claim(send, claimant, now.toISOString(), record)) !== 'claimed') return null;
    return await deliver();
  } catch (error) {
    // The error's name, never its message: SES's can quote the recipient's address.
    const facts = errorFacts(error);
    const reason = [facts.errorName, facts.errorCode, facts.httpStatus].filter(Boolean).join(' ');
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await ledger.release(send, claimant, reason, now.toISOString(), record.attempts);
        break;
      } catch (releaseError) {
        if (attempt === 3)
          logger.error('could not release a send claim', { ...send, claimant, ...errorFacts(releaseError) });
      }
    }
    throw error;
  }
};
