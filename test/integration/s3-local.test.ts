import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAwsChunked, MAX_KEYS, S3Local } from '../../local/s3.ts';

const BUCKET = 'analytics-bucket';
let s3: S3Local;
let client: S3Client;

beforeAll(async () => {
  s3 = await S3Local.start(mkdtempSync(join(tmpdir(), 's3-local-')), [BUCKET]);
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await s3.stop();
});

describe('the local S3 as the SDK sees it', () => {
  it('stores and answers an object, with its size and ETag', async () => {
    const body = Buffer.from('{"shop":"bakery-demo.myshopify.com"}');

    const put = await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'a/latest.json',
        Body: body,
        ContentType: 'application/json',
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a/latest.json' }));
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a/latest.json' }));

    expect(await got.Body?.transformToString()).toBe(body.toString());
    expect(got.ContentType).toBe('application/json');
    expect(head.ContentLength).toBe(body.length);
    expect(head.ETag).toBe(put.ETag);
  });

  it('takes a streamed upload (aws-chunked with a trailing checksum) byte for byte', async () => {
    const bytes = Buffer.alloc(300_000, 7);
    bytes.write('parquet', 1000);

    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'stream/orders.parquet',
        Body: Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]),
        ContentLength: bytes.length,
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'stream/orders.parquet' }));

    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(bytes)).toBe(true);
  });

  it('answers NoSuchKey for a missing object, NotFound to HEAD, NoSuchBucket for an undeclared bucket', async () => {
    await expect(
      client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'missing' })),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await expect(
      client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'missing' })),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(
      client.send(new PutObjectCommand({ Bucket: 'someone-elses', Key: 'x', Body: 'x' })),
    ).rejects.toBeInstanceOf(NoSuchBucket);
  });

  it('lists by prefix in pages of at most 1,000 keys, in binary key order', async () => {
    const keys = Array.from({ length: MAX_KEYS + 5 }, (_, i) => `list/${String(i).padStart(5, '0')}`);
    for (const key of keys) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));

    const first = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/' }));
    const second = await client.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: 'list/',
        ContinuationToken: first.NextContinuationToken,
      }),
    );

    expect(first.Contents).toHaveLength(MAX_KEYS);
    expect(first.IsTruncated).toBe(true);
    expect(second.IsTruncated).toBe(false);
    expect([...(first.Contents ?? []), ...(second.Contents ?? [])].map((c) => c.Key)).toEqual(keys);
  });

  it('deletes an object (and deleting it again is no error, as in S3)', async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'gone', Body: 'x' }));

    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone' }));
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone' }));

    expect(s3.keys(BUCKET, 'gone')).toEqual([]);
  });
});

describe('decodeAwsChunked', () => {
  it('joins the chunks and drops signatures and trailers', () => {
    const body = Buffer.from(
      '5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n',
    );

    expect(decodeAwsChunked(body).toString()).toBe('hello world');
  });
});
