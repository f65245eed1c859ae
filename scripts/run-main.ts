/** Runs a script's `main`, its error as one line on stderr and exit code 1. */
export const runMain = (name: string, main: () => Promise<void>) => {
  main().catch((error: unknown) => {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
};
