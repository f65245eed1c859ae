import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambda } from './clients.ts';

/** Invokes a function asynchronously (Lambda's own retries and on-failure destination apply). */
export const invokeLater = async (functionName: string, payload: unknown): Promise<void> => {
  await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
};
