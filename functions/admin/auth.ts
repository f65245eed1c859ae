import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from '#commons/http.ts';

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Requires `Authorization: Bearer <admin key>` (compared in constant time); 401 otherwise. */
export const requireBearer = (event: APIGatewayProxyEventV2, key: string): void => {
  const match = /^Bearer (.+)$/.exec(event.headers?.authorization ?? '');
  if (!match?.[1] || !sameSecret(match[1], key)) throw new HttpError(401, 'missing or invalid bearer token');
};
