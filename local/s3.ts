import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

/** ListObjectsV2 answers at most this many keys per page (S3's own maximum). */
export const MAX_KEYS = 1000;

type StoredObject = { key: string; size: number; etag: string; lastModified: Date; contentType: string };

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const escapeXml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const readAll = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * The payload of an `aws-chunked` body (what SDK v3 sends for streamed uploads with a trailing
 * checksum): `hex-size[;chunk-signature=…]\r\n` + data + `\r\n`, ending with a zero-size chunk and
 * trailer headers.
 */
export const decodeAwsChunked = (body: Buffer): Buffer => {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('aws-chunked body without a chunk header');
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) throw new Error('aws-chunked body with a bad chunk size');
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
};

/**
 * Amazon S3 as the functions use it, on disk: path-style requests (`/{bucket}/{key}`; the SDK uses
 * them for an endpoint that is an IP address) for PutObject, GetObject, HeadObject, DeleteObject and
 * ListObjectsV2 (prefix, continuation token, at most 1,000 keys a page, keys in UTF-8 binary order),
 * answering S3's error codes (`NoSuchKey`, `NoSuchBucket`) in S3's XML. Only the buckets the
 * template declares exist. A put is atomic: a reader sees the old object or the new one.
 */
export class S3Local {
  private readonly server: Server;
  private readonly root: string;
  private readonly buckets: Set<string>;
  /** Metadata per bucket and key; the bytes are files under `root`. */
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  endpoint = '';

  private constructor(root: string, buckets: readonly string[]) {
    this.root = root;
    this.buckets = new Set(buckets);
    for (const bucket of buckets) this.objects.set(bucket, new Map());
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.error(res, 500, 'InternalError', error instanceof Error ? error.message : String(error));
      });
    });
  }

  static async start(root: string, buckets: readonly string[]): Promise<S3Local> {
    mkdirSync(root, { recursive: true });
    const s3 = new S3Local(root, buckets);
    await new Promise<void>((resolve) => s3.server.listen(0, '127.0.0.1', resolve));
    s3.endpoint = `http://127.0.0.1:${(s3.server.address() as AddressInfo).port}`;
    return s3;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.root, { recursive: true, force: true });
  }

  /** The keys a bucket holds (for tests and the local endpoints). */
  keys(bucket: string, prefix = ''): string[] {
    return [...(this.objects.get(bucket)?.keys() ?? [])].filter((key) => key.startsWith(prefix)).sort();
  }

  private file(bucket: string, key: string): string {
    return join(this.root, bucket, createHash('sha256').update(key).digest('hex'));
  }

  private error(res: ServerResponse, status: number, code: string, message: string, resource = ''): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(
      xml(
        `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><Resource>${escapeXml(resource)}</Resource></Error>`,
      ),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (!this.buckets.has(bucket)) {
      await readAll(req);
      this.error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucket}`);
      return;
    }
    const objects = this.objects.get(bucket) as Map<string, StoredObject>;
    if (key === '') {
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
        this.list(res, bucket, objects, url.searchParams);
        return;
      }
      this.error(res, 501, 'NotImplemented', `the local S3 does not implement ${req.method} on a bucket`);
      return;
    }
    switch (req.method) {
      case 'PUT':
        return this.put(req, res, bucket, key, objects);
      case 'GET':
      case 'HEAD': {
        const object = objects.get(key);
        if (!object) {
          if (req.method === 'HEAD') {
            res.writeHead(404);
            res.end();
          } else this.error(res, 404, 'NoSuchKey', 'The specified key does not exist.', `/${bucket}/${key}`);
          return;
        }
        res.writeHead(200, {
          'content-type': object.contentType,
          'content-length': object.size,
          etag: object.etag,
          'last-modified': object.lastModified.toUTCString(),
        });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        createReadStream(this.file(bucket, key)).pipe(res);
        return;
      }
      case 'DELETE':
        objects.delete(key);
        rmSync(this.file(bucket, key), { force: true });
        res.writeHead(204);
        res.end();
        return;
      default:
        this.error(res, 405, 'MethodNotAllowed', `${req.method} is not allowed here`);
    }
  }

  private async put(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    objects: Map<string, StoredObject>,
  ): Promise<void> {
    const raw = await readAll(req);
    const chunked = (req.headers['content-encoding'] ?? '').includes('aws-chunked');
    const body = chunked ? decodeAwsChunked(raw) : raw;
    const file = this.file(bucket, key);
    mkdirSync(dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.${Date.now()}.partial`;
    writeFileSync(partial, body);
    renameSync(partial, file);
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    objects.set(key, {
      key,
      size: statSync(file).size,
      etag,
      lastModified: new Date(),
      contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
    });
    res.writeHead(200, { etag });
    res.end();
  }

  private list(
    res: ServerResponse,
    bucket: string,
    objects: Map<string, StoredObject>,
    params: URLSearchParams,
  ): void {
    const prefix = params.get('prefix') ?? '';
    const maxKeys = Math.min(Number(params.get('max-keys') ?? MAX_KEYS) || MAX_KEYS, MAX_KEYS);
    const after = params.get('continuation-token') ?? params.get('start-after') ?? '';
    const keys = [...objects.keys()]
      .filter(
        (key) =>
          key.startsWith(prefix) &&
          (after === '' || Buffer.compare(Buffer.from(key), Buffer.from(after)) > 0),
      )
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page
      .map((key) => {
        const object = objects.get(key) as StoredObject;
        return `<Contents><Key>${escapeXml(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag><Size>${object.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated
      ? `<NextContinuationToken>${escapeXml(page.at(-1) ?? '')}</NextContinuationToken>`
      : '';
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      xml(
        `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
      ),
    );
  }
}
