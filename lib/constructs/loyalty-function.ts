import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DUCKDB_PACKAGE, duckdbModules } from '../duckdb-modules.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { DEFAULTS } from './defaults.ts';
import { tableAccessStatements } from './table-access.ts';

export type LoyaltyFunctionProps = {
  /** Folder under `functions/` holding `handler.ts`. */
  readonly name: string;
  readonly description: string;
  /** A physical name, for a function that must name itself in its own policy. @default generated */
  readonly functionName?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** Size of `/tmp` in MiB (512 to 10,240). @default 512 */
  readonly ephemeralStorageMiB?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  readonly environment?: Record<string, string>;
  /**
   * For asynchronously invoked functions (EventBridge targets): where an event goes after the
   * function failed it `DEFAULTS.asyncRetryAttempts` more times.
   * @default none (synchronous callers see the error themselves)
   */
  readonly asyncFailureQueue?: IQueue;
  /**
   * Ship DuckDB (a native module esbuild cannot bundle) in the function's asset: its package and
   * Linux arm64 and x64 bindings beside the bundle (see `duckdbModules`), so the very asset that
   * deploys also runs in the local stack.
   * @default false
   */
  readonly duckdb?: boolean;
  /** Folders the function reads at run time, copied into its asset: source path (from the project root) → folder beside the bundle. */
  readonly files?: Readonly<Record<string, string>>;
};

/**
 * Copies into the asset what the bundle cannot hold: DuckDB's `node_modules` (hard links where the
 * file system allows) and the folders a function reads at run time.
 */
const afterBundling = (duckdbDir: string | null, files: Readonly<Record<string, string>>) => ({
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (_input: string, output: string) => [
    ...(duckdbDir
      ? [
          `cp -al "${duckdbDir}/node_modules" "${output}/node_modules" 2>/dev/null || cp -R "${duckdbDir}/node_modules" "${output}/node_modules"`,
        ]
      : []),
    ...Object.entries(files).map(([from, to]) => `cp -R "${PROJECT_ROOT}/${from}" "${output}/${to}"`),
  ],
});

/**
 * The one place function defaults live: Node.js 24 on arm64, an ESM bundle minified with source
 * maps and every dependency inside (the AWS SDK too, pinned by our lock file), JSON logs with
 * bounded retention, X-Ray tracing. `use*` helpers grant access and set the matching variable
 * together, so permissions and configuration cannot drift apart.
 */
export class LoyaltyFunction extends NodejsFunction {
  /** Its folder under `functions/`: the key of its `TABLE_ACCESS` entry. */
  readonly folder: string;

  constructor(scope: Construct, id: string, props: LoyaltyFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: `${PROJECT_ROOT}/functions/${props.name}/handler.ts`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}/package-lock.json`,
      description: props.description,
      ...(props.functionName ? { functionName: props.functionName } : {}),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      ...(props.ephemeralStorageMiB
        ? { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) }
        : {}),
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `loyalty-loop-${props.name}`,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: 'LoyaltyLoop',
        ...props.environment,
      },
      ...(props.asyncFailureQueue
        ? {
            onFailure: new SqsDestination(props.asyncFailureQueue),
            retryAttempts: DEFAULTS.asyncRetryAttempts,
            maxEventAge: DEFAULTS.targetMaxEventAge,
          }
        : {}),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        externalModules: props.duckdb ? [DUCKDB_PACKAGE] : [],
        ...(props.duckdb || props.files
          ? { commandHooks: afterBundling(props.duckdb ? duckdbModules() : null, props.files ?? {}) }
          : {}),
        mainFields: ['module', 'main'],
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    this.folder = props.name;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWSLambdaBasicExecutionRole grants only logs:CreateLogGroup/CreateLogStream/PutLogEvents, what every ' +
        'function needs to write its own log group; it grants no access to data.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only xray:PutTraceSegments and xray:PutTelemetryRecords (tracing) and, for the stream consumer, ' +
        'dynamodb:ListStreams use Resource "*": these actions support no resource-level permissions. Every data ' +
        'action is scoped to the table, bus, secret, identity or queue it needs.',
    });
  }

  /** Grants exactly the table actions (and partitions) `TABLE_ACCESS` lists for this function. */
  useTable(table: ITable): this {
    for (const statement of tableAccessStatements(this.folder, table.tableArn))
      this.addToRolePolicy(statement);
    this.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  useSecret(secret: ISecret, variable: string): this {
    secret.grantRead(this);
    this.addEnvironment(variable, secret.secretArn);
    return this;
  }

  useBus(bus: IEventBus): this {
    bus.grantPutEventsTo(this);
    this.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    return this;
  }
}
