import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from 'aws-lambda';
import { encodeState } from '#adapters/store/aggregate-item.ts';
import { ItemKind } from '#adapters/store/item-kinds.ts';
import { aggregateKey } from '#adapters/store/keys.ts';
import { emptyAggregate } from '#domain/aggregate.ts';
import { DetailType, EVENT_SOURCE, type StageEntryDetail } from '#domain/events.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { catalogLine, orderPayload } from '../../local/shopify-webhooks.ts';
import type { LocalStack } from '../../local/stack.ts';
import type { Benchmark } from '../benchmark.ts';
import { median, round } from '../stats.ts';

/** The handlers measured, by function name, with a realistic first event for each. */
export const COLD_START_FUNCTIONS = ['ingest', 'evaluate', 'action', 'admin'] as const;
type Name = (typeof COLD_START_FUNCTIONS)[number];

const firstEvent = (name: Name, secret: string): unknown => {
  const http = (method: string, path: string, headers: Record<string, string>, body: string) => ({
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'r',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '24/Nov/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
  });
  if (name === 'ingest') {
    const body = JSON.stringify(
      orderPayload({
        id: 99_000_001,
        customerId: 99_001,
        createdAt: new Date().toISOString(),
        lines: [catalogLine(8001000000001)],
      }),
    );
    return http(
      'POST',
      '/webhooks/shopify',
      {
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': 'bench-cold.myshopify.com',
        'x-shopify-event-id': `cold-${Date.now()}-${Math.random()}`,
        'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
      },
      body,
    );
  }
  if (name === 'admin')
    return http(
      'GET',
      '/api/shops/bench-cold.myshopify.com/customers/1',
      { authorization: 'Bearer local-admin-key' },
      '',
    );
  if (name === 'action') {
    const detail: StageEntryDetail = {
      eventId: 'cold/1',
      shop: 'bench-cold.myshopify.com',
      customerId: '404',
      journeyId: 'rum-baba-fans',
      from: null,
      to: 'first-rum-baba',
      entryId: 1,
      occurredAt: new Date().toISOString(),
      emailMarketing: 'subscribed',
      backfill: false,
    };
    return {
      version: '0',
      id: 'cold',
      'detail-type': DetailType.StageChanged,
      source: EVENT_SOURCE,
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail,
    };
  }
  const now = new Date().toISOString();
  const marshalled = marshall(
    {
      ...aggregateKey('bench-cold.myshopify.com', '1'),
      kind: ItemKind.Aggregate,
      version: 1,
      state: encodeState({
        aggregate: emptyAggregate('bench-cold.myshopify.com', '1', now),
        pendingOrder: null,
      }),
    },
    { removeUndefinedValues: true },
  );
  // Lambda's stream events carry binary attributes as base64 strings (the probe gets the event as JSON, too).
  const image: Record<string, AttributeValue> = {
    ...marshalled,
    state: { B: Buffer.from(marshalled.state?.B ?? []).toString('base64') },
  };
  return {
    Records: [
      {
        eventID: '1',
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/s',
        dynamodb: {
          Keys: { pk: image.pk, sk: image.sk },
          NewImage: image,
          SequenceNumber: '1',
          SizeBytes: 100,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
          ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        },
      },
    ],
  };
};

/**
 * Plain `tsc` output of the functions (no bundling), next to the project's node_modules, with
 * the `#domain/*` style imports mapped to the compiled files: what a Lambda zip of the compiled
 * sources would run.
 */
export const buildUnbundled = async (): Promise<string> => {
  const dir = join(PROJECT_ROOT, '.local', 'bench-unbundled');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.json',
      compilerOptions: {
        noEmit: false,
        outDir: './out',
        rootDir: '../..',
        rewriteRelativeImportExtensions: true,
        sourceMap: false,
        declaration: false,
        typeRoots: ['../../node_modules/@types'],
      },
      include: ['../../functions', '../../journeys'],
    }),
  );
  // tsc reports TS2877 for every `#domain/x.ts` import it does not rewrite (the imports map below
  // does); any other error is real.
  const output = await run(
    'node',
    [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')],
    {},
    [0, 2],
  );
  const errors = output
    .split('\n')
    .filter((line) => line.includes('error TS') && !line.includes('error TS2877'));
  if (errors.length > 0) throw new Error(`tsc failed:\n${errors.slice(0, 10).join('\n')}`);
  const out = join(dir, 'out');
  writeFileSync(
    join(out, 'package.json'),
    JSON.stringify({
      type: 'module',
      imports: {
        '#domain/*.ts': './functions/domain/*.js',
        '#adapters/*.ts': './functions/adapters/*.js',
        '#apply/*.ts': './functions/apply/*.js',
        '#commons/*.ts': './functions/commons/*.js',
        '#journeys/*.ts': './journeys/*.js',
      },
    }),
  );
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
};

const run = (command: string, args: string[], env: Record<string, string>, okCodes = [0]) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) =>
      okCodes.includes(code ?? -1)
        ? resolve(stdout)
        : reject(new Error(`${command} exited ${code}: ${(stderr || stdout).slice(-2000)}`)),
    );
  });

/** In a fresh Node process: module initialisation, then the first invocation, in milliseconds. */
const PROBE = `
const started = performance.now();
const module = await import(process.env.BENCH_MODULE);
const loaded = performance.now();
const context = { functionName: 'bench', awsRequestId: 'cold-' + Date.now(), memoryLimitInMB: '512', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench', getRemainingTimeInMillis: () => 10000 };
await module.handler(JSON.parse(process.env.BENCH_EVENT), context);
const invoked = performance.now();
process.stdout.write(JSON.stringify({ initMs: loaded - started, firstInvokeMs: invoked - loaded }));
process.exit(0);
`;

export const measureColdStart = async (
  stack: LocalStack,
  unbundledRoot: string,
  name: Name,
  variant: 'bundled' | 'unbundled',
): Promise<{ initMs: number; firstInvokeMs: number }> => {
  const fn = [...stack.functions.values()].find(
    (f) => f.environment.POWERTOOLS_SERVICE_NAME === `loyalty-loop-${name}`,
  );
  if (!fn) throw new Error(`no ${name} function in the local stack`);
  const module =
    variant === 'bundled' ? fn.spec.modulePath : join(unbundledRoot, 'functions', name, 'handler.js');
  const output = await run('node', ['--input-type=module', '-e', PROBE], {
    ...fn.environment,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    BENCH_MODULE: module,
    BENCH_EVENT: JSON.stringify(firstEvent(name, 'local-dev-secret')),
  });
  return JSON.parse(output) as { initMs: number; firstInvokeMs: number };
};

export const bundleBytes = (stack: LocalStack, name: Name): number => {
  const fn = [...stack.functions.values()].find(
    (f) => f.environment.POWERTOOLS_SERVICE_NAME === `loyalty-loop-${name}`,
  );
  return fn ? statSync(fn.spec.modulePath).size : 0;
};

export const coldStart: Benchmark = {
  name: 'cold-start',
  label: 'P4',
  description:
    'cold start (module init) in fresh Node processes, the deployed esbuild bundle vs plain tsc output',
  target: [{ metric: 'minRatio', comparison: '>=', threshold: 3, unit: '×' }],
  // Warm: the first invocation reaches DynamoDB Local, whose JVM is slow until warmed.
  warm: ['ingest'],
  run: async (context) => {
    const { stack } = context;
    const unbundled = await buildUnbundled();
    const figures: Record<
      string,
      {
        bundledInitMs: number;
        unbundledInitMs: number;
        bundledFirstInvokeMs: number;
        unbundledFirstInvokeMs: number;
        bundleKb: number;
        ratio: number;
      }
    > = {};
    for (const name of COLD_START_FUNCTIONS) {
      const samples = {
        bundled: [] as { initMs: number; firstInvokeMs: number }[],
        unbundled: [] as { initMs: number; firstInvokeMs: number }[],
      };
      for (let i = 0; i < Math.max(context.runs, context.quick ? 1 : 5); i++) {
        // Alternate, so both sides see the same machine state.
        samples.bundled.push(await measureColdStart(stack, unbundled, name, 'bundled'));
        samples.unbundled.push(await measureColdStart(stack, unbundled, name, 'unbundled'));
      }
      const bundledInitMs = median(samples.bundled.map((s) => s.initMs));
      const unbundledInitMs = median(samples.unbundled.map((s) => s.initMs));
      figures[name] = {
        bundledInitMs,
        unbundledInitMs,
        bundledFirstInvokeMs: median(samples.bundled.map((s) => s.firstInvokeMs)),
        unbundledFirstInvokeMs: median(samples.unbundled.map((s) => s.firstInvokeMs)),
        bundleKb: bundleBytes(stack, name) / 1024,
        ratio: unbundledInitMs / bundledInitMs,
      };
    }
    const all = Object.entries(figures);
    const kb = all.map(([, f]) => f.bundleKb);
    return {
      figures: { ...figures, minRatio: Math.min(...all.map(([, f]) => f.ratio)) },
      summary: `${all
        .map(
          ([name, f]) =>
            `${name} ${round(f.bundledInitMs)} vs ${round(f.unbundledInitMs)} ms (${round(f.ratio)}×)`,
        )
        .join(', ')}; bundles ${Math.round(Math.min(...kb))}–${Math.round(Math.max(...kb))} KB`,
    };
  },
};
