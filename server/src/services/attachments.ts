/**
 * Attachments stream in and out of the database in chunks: neither an upload nor a download
 * ever holds a whole file in memory, and an incomplete upload is never served.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import busboy from 'busboy';
import { and, asc, eq, gte } from 'drizzle-orm';
import type { Request } from 'express';
import pg from 'pg';
import { copyRowsPg, copyRowsPglite } from '../db/binaryCopy.ts';
import type { Db } from '../db/index.ts';
import { attachmentChunks, attachments } from '../db/schema.ts';
import { AppError, badRequest, payloadTooLarge } from '../http/errors.ts';
import { streamedFiles } from '../memory.ts';
import { checkedContentType, OCTET_STREAM, SNIFF_BYTES } from './fileTypes.ts';

export const CHUNK_SIZE = 256 * 1024;

export type AttachmentRow = typeof attachments.$inferSelect;

/** Lone surrogates (not valid UTF-16, not encodable as UTF-8) become U+FFFD. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/**
 * Makes a file name safe to store and to offer for download: no folders, no control or
 * reserved characters, no leading dots, at most 200 characters, never empty.
 */
export function safeFileName(name: string): string {
  const base = wellFormed(name).normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    // Control characters, reserved characters, and invisible or direction-changing ones (bidi
    // overrides, marks and isolates, zero-width, line separators, BOM) that disguise an extension.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f<>:"|?*\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '')
    .trim();
  if (!cleaned) return 'file';
  const chars = Array.from(cleaned);
  if (chars.length <= 200) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const ext = dot > 0 && cleaned.length - dot <= 16 ? Array.from(cleaned.slice(dot)) : [];
  return [...chars.slice(0, 200 - ext.length), ...ext].join('');
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

export interface UploadOwner {
  orgId: string;
  contextId?: string;
  messageId?: string;
  uploadedByUserId?: string;
  uploadedByExternalId?: string;
}

/**
 * Streams every file of a multipart request into the database. Rejects the whole request with
 * 413 when a file passes `limit`, and removes what it had stored.
 */
export async function receiveUploads(db: Db, req: Request, owner: UploadOwner, limit: number, maxFiles = 10): Promise<AttachmentRow[]> {
  const type = req.get('content-type') ?? '';
  if (!type.startsWith('multipart/form-data')) {
    throw new AppError(415, 'unsupported_media_type', 'Send the files as multipart/form-data');
  }
  const declared = Number(req.get('content-length') ?? 0);
  // The multipart envelope adds a little; anything far past the limit is refused before reading.
  if (declared > limit * maxFiles + 64 * 1024) {
    req.resume();
    throw payloadTooLarge(limit);
  }
  const stored: AttachmentRow[] = [];
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fileSize: limit, files: maxFiles, fields: 20 } });
  } catch {
    throw badRequest('Malformed multipart body');
  }
  const work: Promise<void>[] = [];
  let failure: unknown = null;
  let fail: (err: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    // A file over the limit or refused for its content ends the upload at once: the rest of the
    // body is not read (the connection is closed after the answer).
    fail = reject;
    parser.on('file', (_field, stream, info) => {
      // Files are stored concurrently; answer them in the order they were sent.
      const index = work.length;
      work.push(
        storeFile(db, stream, info, owner, limit, index).then(
          (row) => {
            stored[index] = row;
          },
          (err: unknown) => {
            failure ??= err;
            stream.resume();
            fail(err);
          },
        ),
      );
    });
    parser.on('filesLimit', () => {
      failure ??= badRequest(`At most ${maxFiles} files per upload`);
    });
    parser.on('error', (err) => reject(badRequest(`Malformed multipart body: ${(err as Error).message}`)));
    parser.on('close', resolve);
    req.on('aborted', () => reject(badRequest('Upload interrupted')));
  });
  req.pipe(parser);
  try {
    await done;
  } catch (err) {
    failure ??= err;
  }
  await Promise.allSettled(work);
  if (failure) {
    if (!req.complete) {
      req.unpipe(parser);
      parser.destroy();
      // Answer, then close the connection instead of reading the rest of the body.
      req.res?.set('Connection', 'close');
    }
    req.resume();
    for (const row of stored) if (row) await db.delete(attachments).where(eq(attachments.id, row.id));
    throw failure;
  }
  if (stored.length === 0) throw badRequest('No file in the upload');
  return stored.filter(Boolean);
}

export async function storeFile(
  db: Db,
  stream: Readable & { truncated?: boolean },
  info: busboy.FileInfo,
  owner: UploadOwner,
  limit: number,
  position: number,
): Promise<AttachmentRow> {
  const fileName = safeFileName(info.filename ?? 'file');
  stream.once('limit', () => stream.destroy(payloadTooLarge(limit)));
  // The leading bytes decide the type; they are kept and stored like the rest.
  const chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  const declared = MIME.test(info.mimeType) ? info.mimeType.toLowerCase() : OCTET_STREAM;
  const contentType = checkedContentType(declared, Buffer.concat(head), fileName);
  const [row] = await db
    .insert(attachments)
    .values({
      orgId: owner.orgId,
      contextId: owner.contextId ?? null,
      messageId: owner.messageId ?? null,
      uploadedByUserId: owner.uploadedByUserId ?? null,
      uploadedByExternalId: owner.uploadedByExternalId ?? null,
      fileName,
      contentType,
      position,
    })
    .returning();
  const hash = createHash('sha256');
  let size = 0;
  let seq = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await db.insert(attachmentChunks).values({ attachmentId: row!.id, seq: seq++, data });
  };
  const rest: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      yield* head;
      if (ended) return;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
    },
  };
  try {
    for await (const chunk of rest) {
      size += chunk.length;
      streamedFiles.streamed(chunk.length);
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= CHUNK_SIZE) await flush();
    }
    if (stream.truncated) throw payloadTooLarge(limit);
    await flush();
    const [done] = await db
      .update(attachments)
      .set({ size, sha256: hash.digest('hex'), complete: true })
      .where(eq(attachments.id, row!.id))
      .returning();
    return done!;
  } catch (err) {
    await db.delete(attachments).where(eq(attachments.id, row!.id));
    throw err;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Up to `limit` chunks of a stored file from chunk number `from` on, in order. On PostgreSQL and
 * on PGlite they are read with a binary COPY (the bytes as they are; a SELECT sends bytea as hex
 * text, see db/binaryCopy.ts); inside a transaction (no pool or PGlite at hand) with a SELECT.
 */
export async function readChunks(db: Db, id: string, from: number, limit: number): Promise<{ seq: number; data: Buffer }[]> {
  const client = (db as { $client?: unknown }).$client;
  if (client instanceof pg.Pool || client instanceof PGlite) {
    // COPY takes no parameters: the values are checked, then written into the statement.
    if (!UUID.test(id) || !Number.isSafeInteger(from) || !Number.isSafeInteger(limit)) throw new Error(`Bad chunk range: ${id} ${from} ${limit}`);
    const query = `select seq, data from attachment_chunks where attachment_id = '${id}' and seq >= ${from} order by seq limit ${limit}`;
    const rows = client instanceof pg.Pool ? await copyRowsPg(client, query) : await copyRowsPglite(client, query);
    return rows.map(([seq, data]) => ({ seq: seq!.readInt32BE(0), data: data! }));
  }
  const rows = await db
    .select({ seq: attachmentChunks.seq, data: attachmentChunks.data })
    .from(attachmentChunks)
    .where(and(eq(attachmentChunks.attachmentId, id), gte(attachmentChunks.seq, from)))
    .orderBy(asc(attachmentChunks.seq))
    .limit(limit);
  return rows.map((r) => ({ seq: r.seq, data: Buffer.isBuffer(r.data) ? r.data : Buffer.from(r.data) }));
}

/**
 * Reads a stored file chunk by chunk, a few at a time (keyset on the chunk number), as a Node
 * stream. The buffer holds two batches: the next batch is read while the reader (a download, the
 * export's compressor) works on the one before, so that the database and the reader overlap,
 * and at most ~3 MiB of one file is ever in memory. The chunks must add up to the file's `size`
 * (its row's): a chunk missing or left over fails the stream, rather than end a download, an
 * export entry or an email's attachment short (with a checksum that would agree with it). The
 * bytes read count toward the paced collections of memory.ts, as an upload's do.
 */
export function attachmentStream(db: Db, id: string, size: number): Readable {
  let next = 0;
  let bytes = 0;
  const BATCH = 4;
  return new Readable({
    highWaterMark: 2 * BATCH * CHUNK_SIZE,
    read() {
      readChunks(db, id, next, BATCH).then(
        (rows) => {
          for (const r of rows) {
            if (r.seq !== next) return this.destroy(new Error(`File ${id}: chunk ${next} is missing (${bytes} of ${size} bytes read)`));
            next = r.seq + 1;
            bytes += r.data.length;
            if (bytes > size) return this.destroy(new Error(`File ${id}: more than its ${size} bytes stored`));
            streamedFiles.streamed(r.data.length);
            this.push(r.data);
          }
          // A short batch was the last: end now rather than ask again for nothing.
          if (rows.length < BATCH) {
            if (bytes !== size) return this.destroy(new Error(`File ${id}: ${bytes} of its ${size} bytes stored`));
            this.push(null);
          }
        },
        (err: unknown) => this.destroy(err as Error),
      );
    },
  });
}

/** `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266). */
export function contentDisposition(fileName: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
