import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { DefinitionsSchema } from '#domain/analytics/reports.ts';
import { DEFINITIONS_FILE } from './snapshot.ts';
import { latestKey, resultKey, SNAPSHOTS_PREFIX, snapshotPrefix } from './snapshot-files.ts';

/**
 * What `latest.json` says: the snapshot reports read now, and its journeys and segments (a request
 * is checked, and a cached answer found, without downloading the snapshot).
 */
export const LatestSnapshot = z.object({
  snapshotId: z.string().regex(/^[0-9A-Za-z-]{1,80}$/),
  refreshedAt: z.string(),
  files: z.array(z.string().regex(/^[\w.-]{1,100}$/)).min(1),
  definitions: DefinitionsSchema,
});
export type LatestSnapshot = z.infer<typeof LatestSnapshot>;

/** Whether an S3 error says the object is not there. */
export const isMissing = (error: unknown) =>
  error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey');

/**
 * A shop's analytics snapshots and cached answers in S3 (layout: `snapshot-files.ts`). A snapshot is
 * published file by file and then named in `latest.json`, so a reader finds a whole snapshot; every
 * older snapshot is deleted then, so a redacted customer leaves the bucket with the next refresh (a
 * reader caught downloading one that was just deleted reads `latest.json` again).
 */
export class SnapshotStore {
  private readonly s3: S3Client;
  private readonly bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.s3 = s3;
    this.bucket = bucket;
  }

  private async getText(key: string): Promise<string | null> {
    try {
      const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await Body?.transformToString('utf8')) ?? null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async latest(shop: string): Promise<LatestSnapshot | null> {
    const text = await this.getText(latestKey(shop));
    return text === null ? null : LatestSnapshot.parse(JSON.parse(text));
  }

  /** Uploads the snapshot in `dir`, makes it the latest, then deletes every other snapshot of the shop. */
  async publish(
    shop: string,
    dir: string,
    snapshot: { snapshotId: string; refreshedAt: string },
  ): Promise<LatestSnapshot> {
    const files = (await readdir(dir)).sort();
    for (const file of files) {
      const path = join(dir, file);
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${snapshotPrefix(shop, snapshot.snapshotId)}${file}`,
          Body: createReadStream(path),
          ContentLength: (await stat(path)).size,
        }),
      );
    }
    const definitions = JSON.parse(await readFile(join(dir, DEFINITIONS_FILE), 'utf8')) as unknown;
    const latest = LatestSnapshot.parse({ ...snapshot, files, definitions });
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: latestKey(shop),
        Body: JSON.stringify(latest),
        ContentType: 'application/json',
      }),
    );
    await this.deleteOthers(shop, latest.snapshotId);
    return latest;
  }

  private async deleteOthers(shop: string, snapshotId: string): Promise<void> {
    const kept = [latestKey(shop), snapshotPrefix(shop, snapshotId)];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${SNAPSHOTS_PREFIX}${shop}/`,
          ContinuationToken: token,
        }),
      );
      for (const { Key } of page.Contents ?? []) {
        if (!Key || kept.some((prefix) => Key === prefix || Key.startsWith(prefix))) continue;
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Downloads a snapshot's files into `dir` (through a sibling folder renamed into place). */
  async download(shop: string, latest: LatestSnapshot, dir: string): Promise<void> {
    const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
    await mkdir(partial, { recursive: true });
    try {
      for (const file of latest.files) {
        const { Body } = await this.s3.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: `${snapshotPrefix(shop, latest.snapshotId)}${file}`,
          }),
        );
        if (!Body) throw new Error(`snapshot ${latest.snapshotId} of ${shop}: ${file} has no body`);
        await pipeline(Body as Readable, createWriteStream(join(partial, file)));
      }
      await rm(dir, { recursive: true, force: true });
      await rename(partial, dir);
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  }

  /** A report answer cached for this snapshot, or null. */
  async cachedResult(
    shop: string,
    snapshotId: string,
    report: string,
    requestHash: string,
  ): Promise<unknown> {
    const text = await this.getText(resultKey(shop, snapshotId, report, requestHash));
    return text === null ? null : (JSON.parse(text) as unknown);
  }

  async cacheResult(
    shop: string,
    snapshotId: string,
    report: string,
    requestHash: string,
    result: unknown,
  ): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: resultKey(shop, snapshotId, report, requestHash),
        Body: JSON.stringify(result),
        ContentType: 'application/json',
      }),
    );
  }
}
