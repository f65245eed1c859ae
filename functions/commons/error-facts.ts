/** What a log line may say about an error: its kind, never its message (which may echo input or secrets). */
export type ErrorFacts = {
  errorName: string;
  /** A Node.js or service error code (`ECONNRESET`, `ThrottlingException`). */
  errorCode?: string;
  /** The HTTP status of an AWS SDK error or an HttpError. */
  httpStatus?: number;
  /** The top stack frame (`at fn (file:line:col)`), where it was thrown; never the message line. */
  errorAt?: string;
};

/** Names and codes are identifiers; anything else in those fields is not logged. */
const IDENTIFIER = /^[\w.:-]{1,100}$/;

const identifier = (value: unknown): string | undefined =>
  typeof value === 'string' && IDENTIFIER.test(value) ? value : undefined;

const statusOf = (error: object): number | undefined => {
  const status =
    'statusCode' in error
      ? error.statusCode
      : '$metadata' in error && typeof error.$metadata === 'object' && error.$metadata !== null
        ? (error.$metadata as { httpStatusCode?: unknown }).httpStatusCode
        : undefined;
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
};

/**
 * The loggable facts of anything thrown: name, code, HTTP status and the frame it was thrown at.
 * Never `message` or the stack's first line: AWS SDK, zod and JSON.parse messages can quote the
 * input (an email address, a payload), and a misused secret can end up in one.
 */
export const errorFacts = (error: unknown): ErrorFacts => {
  if (typeof error !== 'object' || error === null) return { errorName: typeof error };
  const facts: ErrorFacts = { errorName: ('name' in error && identifier(error.name)) || 'Error' };
  const code = 'code' in error ? identifier(error.code) : undefined;
  if (code) facts.errorCode = code;
  const status = statusOf(error);
  if (status !== undefined) facts.httpStatus = status;
  const at = throwFrame(error);
  if (at) facts.errorAt = at;
  return facts;
};

/** The first frame after the message (which may span lines); none when the message is not found. */
const throwFrame = (error: object): string | undefined => {
  if (!('stack' in error) || typeof error.stack !== 'string') return undefined;
  const message = 'message' in error && typeof error.message === 'string' ? error.message : '';
  const afterMessage = message === '' ? 0 : error.stack.indexOf(message);
  if (afterMessage < 0) return undefined;
  const frame = /\n\s+(at [^\n]+)/.exec(error.stack.slice(afterMessage + message.length));
  return frame?.[1]?.slice(0, 300);
};
