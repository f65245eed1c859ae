import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorFacts } from './error-facts.ts';
import { logger } from './logger.ts';

/** An error that maps to an HTTP status; its message is safe to show the caller. */
export class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpError';
    this.statusCode = statusCode;
  }
}

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/**
 * Turns thrown HttpErrors into JSON answers and anything else into a 500 that reveals nothing
 * (the error is logged by name and code, never its message, which may quote input). One place,
 * instead of a try/catch in every handler.
 */
export const httpErrors = (): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request) => {
    const { error } = request;
    if (error instanceof HttpError) {
      if (error.statusCode >= 500) logger.error('request failed', errorFacts(error));
      request.response = json(error.statusCode, { message: error.message });
      return;
    }
    logger.error('unexpected error', errorFacts(error));
    request.response = json(500, { message: 'internal error' });
  },
});

/** The raw body bytes exactly as received, whether API Gateway base64-encoded them or not. */
export const rawBody = (event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer =>
  event.body === undefined
    ? Buffer.alloc(0)
    : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
