import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';

/** Starts a local stack (free port, quiet functions) for the current test file and stops it after. */
export const useLocalStack = (options: LocalStackOptions = {}): { readonly stack: LocalStack } => {
  let started: LocalStack | undefined;
  beforeAll(async () => {
    started = await startLocalStack({ port: 0, logLevel: 'ERROR', ...options });
  });
  afterAll(async () => {
    await started?.stop();
  });
  return {
    get stack() {
      if (!started) throw new Error('the local stack has not started');
      return started;
    },
  };
};
