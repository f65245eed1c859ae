import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { readBody } from './http-gateway.ts';

/** Answers with a JSON body (or bytes as they are), with its length. */
export const send = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json',
    ...headers,
    'content-length': String(payload.length),
  });
  res.end(payload);
};

/** Reads a small JSON body against a schema; answers 400 (and returns null) when it does not fit. */
export const readJson = async <T>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: z.ZodType<T>,
  shape: string,
): Promise<T | null> => {
  let input: unknown;
  try {
    input = JSON.parse((await readBody(req, 4096)).toString('utf8'));
  } catch {
    send(res, 400, { message: `body must be JSON ${shape}` });
    return null;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  send(res, 400, {
    message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
  });
  return null;
};
