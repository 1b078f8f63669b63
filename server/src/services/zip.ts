/**
 * A streaming ZIP writer. Entries go to the output one after another as their bytes come, with
 * their CRC-32 and sizes after the data (data descriptors), so no entry is ever held whole.
 *
 * Adding an entry PREPARES it at once: its source starts being read and deflated (zlib runs on
 * the libuv threadpool) into a bounded buffer while the entries before it are still being
 * written, so the compression of the next file overlaps the writing of this one. The caller
 * bounds how many entries are prepared ahead by awaiting (see `addAll`); memory is then
 * (entries ahead + 1) × (the source's own read-ahead + `bufferBytes`), never a file's size.
 */
import { once } from 'node:events';
import { pipeline, Readable, Transform, type TransformCallback, type TransformOptions, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { crc32, createDeflateRaw, deflateRaw, type ZlibOptions } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, '/'-separated; written as UTF-8. */
  name: string;
  /** The content: a stream (read once) or bytes or text at hand. */
  source: Readable | Buffer | string;
  /** Stored as it is (method 0), for data that is compressed already; else deflated (method 8). */
  store: boolean;
}

export interface ZipOptions {
  /** The modification time of every entry. */
  date?: Date;
  /** Bytes of (compressed) output each prepared entry may hold before its reading pauses. */
  bufferBytes?: number;
  /** The largest entry, compressed or not. Only a test has a reason to lower it. */
  maxEntryBytes?: number;
}

/** Why an archive could not be completed: `code` says which case. */
export class ZipError extends Error {
  constructor(
    readonly code: 'entry_too_large' | 'output_closed' | 'aborted' | 'bad_entry',
    message: string,
  ) {
    super(message);
    this.name = 'ZipError';
  }
}

/**
 * Sizes up to 0xfffffffe fit the 4-byte fields of the data descriptor and the central directory.
 * Larger entries would need ZIP64 sizes, which this writer does not write: an export's entries
 * are attachments, capped at MAX_UPLOAD_BYTES (25 MiB by default), and chat.txt, which would need
 * tens of millions of messages to reach 4 GiB. Such an entry fails the archive with a clear error.
 */
export const MAX_ENTRY_BYTES = 0xfffffffe;
const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
/** zlib's output chunk: larger than its 16 KiB default, so fewer round trips to the threadpool. */
const DEFLATE_CHUNK = 64 * 1024;
const DEFLATE_LEVEL = 6;

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const END = 0x06054b50;
/** Bit 3: CRC and sizes follow the data (they are not known before); bit 11: UTF-8 names. */
const FLAGS = (1 << 3) | (1 << 11);
/** Version 2.0 reads deflate and data descriptors; 4.5 is needed where ZIP64 fields appear. */
const VERSION = 20;
const VERSION_ZIP64 = 45;
/** Made by Unix (upper byte 3), so that unzip tools take the external attributes as a mode. */
const MADE_BY = (3 << 8) | VERSION_ZIP64;
/** A regular file, rw-r--r--. */
const EXTERNAL_ATTRS = (0o100644 << 16) >>> 0;
/** The 2- and 4-byte fields' "see the ZIP64 record" values, which a real count must not equal. */
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

/** MS-DOS date and time (local time, 2-second precision, 1980 to 2107), as archiver wrote them. */
export function dosDateTime(at: Date): { date: number; time: number } {
  if (at.getFullYear() < 1980) return { date: (1 << 5) | 1, time: 0 };
  if (at.getFullYear() > 2107) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  return {
    date: ((at.getFullYear() - 1980) << 9) | ((at.getMonth() + 1) << 5) | at.getDate(),
    time: (at.getHours() << 11) | (at.getMinutes() << 5) | (at.getSeconds() >> 1),
  };
}

/** What the central directory says of a written entry. */
export interface WrittenEntry {
  name: Buffer;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  /** Where its local header starts in the archive. */
  offset: number;
}

/** The local file header: CRC and sizes are zero, the data descriptor after the data has them. */
export function localHeader(name: Buffer, method: 0 | 8, when: { date: number; time: number }): Buffer {
  const b = Buffer.alloc(30 + name.length);
  b.writeUInt32LE(LOCAL_HEADER, 0);
  b.writeUInt16LE(VERSION, 4);
  b.writeUInt16LE(FLAGS, 6);
  b.writeUInt16LE(method, 8);
  b.writeUInt16LE(when.time, 10);
  b.writeUInt16LE(when.date, 12);
  // 14..25: CRC, compressed and uncompressed size, all zero; 26: name length; 28: no extra field.
  b.writeUInt16LE(name.length, 26);
  name.copy(b, 30);
  return b;
}

export function dataDescriptor(e: Pick<WrittenEntry, 'crc' | 'compressedSize' | 'size'>): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(DATA_DESCRIPTOR, 0);
  b.writeUInt32LE(e.crc, 4);
  b.writeUInt32LE(e.compressedSize, 8);
  b.writeUInt32LE(e.size, 12);
  return b;
}

/**
 * The central directory record of an entry. A local header at or beyond 4 GiB - 1 has its offset
 * in a ZIP64 extended information extra field (id 1) and 0xffffffff in the 4-byte field; the sizes
 * always fit (MAX_ENTRY_BYTES), so the extra field holds the offset alone.
 */
export function centralHeader(e: WrittenEntry, when: { date: number; time: number }): Buffer {
  const zip64 = e.offset >= MAX32;
  const extra = zip64 ? 12 : 0;
  const b = Buffer.alloc(46 + e.name.length + extra);
  b.writeUInt32LE(CENTRAL_HEADER, 0);
  b.writeUInt16LE(MADE_BY, 4);
  b.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION, 6);
  b.writeUInt16LE(FLAGS, 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(when.time, 12);
  b.writeUInt16LE(when.date, 14);
  b.writeUInt32LE(e.crc, 16);
  b.writeUInt32LE(e.compressedSize, 20);
  b.writeUInt32LE(e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt16LE(extra, 30);
  // 32: comment length, 34: disk number, 36: internal attributes, all zero.
  b.writeUInt32LE(EXTERNAL_ATTRS, 38);
  b.writeUInt32LE(zip64 ? MAX32 : e.offset, 42);
  e.name.copy(b, 46);
  if (zip64) {
    const at = 46 + e.name.length;
    b.writeUInt16LE(0x0001, at);
    b.writeUInt16LE(8, at + 2);
    b.writeBigUInt64LE(BigInt(e.offset), at + 4);
  }
  return b;
}

/**
 * The end of the archive. More than 65,534 entries, or a central directory that starts or runs
 * beyond 4 GiB - 1, also take a ZIP64 end of central directory record and its locator, before
 * the classic end record (whose overflowing fields then say 0xffff / 0xffffffff).
 */
export function endOfArchive(entries: number, directoryOffset: number, directorySize: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  // 4: this disk, 6: the directory's disk, both 0.
  end.writeUInt16LE(Math.min(entries, MAX16), 8);
  end.writeUInt16LE(Math.min(entries, MAX16), 10);
  end.writeUInt32LE(Math.min(directorySize, MAX32), 12);
  end.writeUInt32LE(Math.min(directoryOffset, MAX32), 16);
  // 20: no comment.
  if (entries < MAX16 && directoryOffset < MAX32 && directorySize < MAX32) return end;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(ZIP64_END, 0);
  // The size of the record after this field.
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(MADE_BY, 12);
  record.writeUInt16LE(VERSION_ZIP64, 14);
  // 16: this disk, 20: the directory's disk, both 0.
  record.writeBigUInt64LE(BigInt(entries), 24);
  record.writeBigUInt64LE(BigInt(entries), 32);
  record.writeBigUInt64LE(BigInt(directorySize), 40);
  record.writeBigUInt64LE(BigInt(directoryOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(ZIP64_LOCATOR, 0);
  // 4: the disk of the ZIP64 record, 0; 8: where it starts (right after the directory); 16: disks.
  locator.writeBigUInt64LE(BigInt(directoryOffset + directorySize), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator, end]);
}

const tooLarge = (name: string) =>
  new ZipError('entry_too_large', `The archive entry "${name}" passes ${MAX_ENTRY_BYTES} bytes, more than a ZIP entry without ZIP64 sizes holds`);

/** Passes bytes through, keeping their CRC-32 (zlib's native one) and their count. */
class Checksum extends Transform {
  crc = 0;
  size = 0;
  private readonly name: string;
  private readonly limit: number;

  constructor(name: string, limit: number, options: TransformOptions) {
    super(options);
    this.name = name;
    this.limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) return callback(tooLarge(this.name));
    this.crc = crc32(chunk, this.crc);
    callback(null, chunk);
  }
}

/** An entry being read and compressed, waiting for its turn to be written. */
interface Prepared {
  name: string;
  encodedName: Buffer;
  method: 0 | 8;
  /** What to write, compressed if so, as it comes; fails with the first failure of any stage. */
  body: AsyncIterable<Buffer>;
  /** The CRC-32 and size of the data before compression, once `body` has ended. */
  sums: () => Promise<{ crc: number; size: number }>;
  /** Stops reading (and compressing) it. */
  destroy: () => void;
}

const deflateRawAsync = promisify(deflateRaw);

async function* yieldOne(chunk: Promise<Buffer>): AsyncIterable<Buffer> {
  yield await chunk;
}

export class ZipWriter {
  private readonly out: Writable;
  private readonly when: { date: number; time: number };
  private readonly bufferBytes: number;
  private readonly maxEntryBytes: number;
  private readonly written: WrittenEntry[] = [];
  /** Prepared and not yet written whole (the one being written included). */
  private readonly pending = new Set<Prepared>();
  /** Entries are written one after another: each waits for this, the previous one's write. */
  private queue: Promise<void> = Promise.resolve();
  private offset = 0;
  /** The first failure; once set, nothing more is written. */
  private error: Error | undefined;
  private readonly stopped = new AbortController();

  constructor(out: Writable, options: ZipOptions = {}) {
    this.out = out;
    this.when = dosDateTime(options.date ?? new Date());
    this.bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    this.maxEntryBytes = Math.min(options.maxEntryBytes ?? MAX_ENTRY_BYTES, MAX_ENTRY_BYTES);
    out.on('error', (err) => this.fail(err));
    out.on('close', () => {
      if (!out.writableFinished) this.fail(new ZipError('output_closed', 'The output closed before the archive was complete'));
    });
  }

  /**
   * Prepares the entry now (its source is read and compressed ahead, up to `bufferBytes`) and
   * writes it after the entries added before it. Answers when it is written whole; a failure
   * also rejects `finish()`, so a caller that does not await this still learns of it.
   */
  add(entry: ZipEntry): Promise<void> {
    const prepared = this.prepare(entry);
    const written = this.queue.then(() => this.write(prepared));
    this.queue = written.catch(() => {});
    return written;
  }

  /**
   * Adds the entries in order, `ahead` of them prepared beyond the one being written and no
   * more: entries are taken from the iterable only then, so their sources open no sooner.
   */
  async addAll(entries: Iterable<ZipEntry>, ahead: number): Promise<void> {
    const inFlight: Promise<void>[] = [];
    for (const entry of entries) {
      inFlight.push(this.add(entry));
      if (inFlight.length > ahead) await inFlight.shift();
    }
    for (const written of inFlight) await written;
  }

  /** After the last entry: writes the central directory and the end records, ends the output. */
  async finish(): Promise<void> {
    await this.queue;
    this.check();
    const directoryOffset = this.offset;
    // The records in batches of about 64 KiB rather than a write each (there may be 100,000).
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const e of this.written) {
      const record = centralHeader(e, this.when);
      batch.push(record);
      batchBytes += record.length;
      if (batchBytes >= 64 * 1024) {
        await this.put(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    batch.push(endOfArchive(this.written.length, directoryOffset, this.offset + batchBytes - directoryOffset));
    await this.put(Buffer.concat(batch));
    this.out.end();
    await finished(this.out, { readable: false }).catch((err: unknown) => {
      throw this.error ?? err;
    });
  }

  /** Stops: the sources of the entry being written and of those prepared are destroyed, nothing more is written. */
  abort(): void {
    this.fail(new ZipError('aborted', 'The archive was aborted'));
  }

  private prepare(entry: ZipEntry): Prepared {
    const encodedName = Buffer.from(entry.name, 'utf8');
    if (!entry.name || encodedName.length > MAX16) {
      this.fail(new ZipError('bad_entry', `An archive entry name has 1 to ${MAX16} bytes, not ${encodedName.length}: "${entry.name.slice(0, 80)}"`));
    }
    const { source } = entry;
    const body = source instanceof Readable ? this.streamBody(entry.name, source, entry.store) : this.bufferBody(entry.name, source, entry.store);
    const prepared: Prepared = { name: entry.name, encodedName, method: entry.store ? 0 : 8, ...body };
    // Added after a failure: nothing of it is read.
    if (this.error) prepared.destroy();
    else this.pending.add(prepared);
    return prepared;
  }

  /** A stream: read, checksummed and compressed through a pipeline whose last stage buffers. */
  private streamBody(name: string, source: Readable, store: boolean): Pick<Prepared, 'body' | 'sums' | 'destroy'> {
    // The buffer that lets reading and compressing run ahead is the last stage's readable side.
    const buffered = { readableHighWaterMark: this.bufferBytes };
    const checksum = new Checksum(name, this.maxEntryBytes, store ? buffered : {});
    // Node hands zlib's options on to its Transform, stream options included.
    const deflateOptions: ZlibOptions & TransformOptions = { level: DEFLATE_LEVEL, chunkSize: DEFLATE_CHUNK, ...buffered };
    const stages = store ? [checksum] : [checksum, createDeflateRaw(deflateOptions)];
    const output = stages.at(-1)!;
    const done = new Promise<void>((resolve, reject) => {
      pipeline([source, ...stages], (err) => {
        if (!err) return resolve();
        this.fail(err);
        reject(err);
      });
    });
    // Its failure fails the archive (above); the write that awaits it later still sees it.
    done.catch(() => {});
    return {
      body: output,
      sums: () => done.then(() => ({ crc: checksum.crc, size: checksum.size })),
      destroy: () => {
        source.destroy();
        output.destroy();
      },
    };
  }

  /**
   * Bytes or text at hand: checksummed at once and deflated in one call on the threadpool, with
   * none of a stream's cost per entry (an archive of 70,000 small entries takes a second, not 15).
   */
  private bufferBody(name: string, source: Buffer | string, store: boolean): Pick<Prepared, 'body' | 'sums' | 'destroy'> {
    const data = typeof source === 'string' ? Buffer.from(source) : source;
    const sums = { crc: crc32(data), size: data.length };
    const compressed =
      data.length > this.maxEntryBytes ? Promise.reject(tooLarge(name)) : store ? Promise.resolve(data) : deflateRawAsync(data, { level: DEFLATE_LEVEL });
    compressed.catch((err: unknown) => this.fail(err as Error));
    return { body: yieldOne(compressed), sums: () => Promise.resolve(sums), destroy: () => {} };
  }

  private async write(p: Prepared): Promise<void> {
    try {
      this.check();
      const offset = this.offset;
      await this.put(localHeader(p.encodedName, p.method, this.when));
      let compressedSize = 0;
      for await (const chunk of p.body) {
        compressedSize += chunk.length;
        if (compressedSize > this.maxEntryBytes) throw tooLarge(p.name);
        await this.put(chunk);
      }
      const { crc, size } = await p.sums();
      const entry: WrittenEntry = { name: p.encodedName, method: p.method, crc, compressedSize, size, offset };
      await this.put(dataDescriptor(entry));
      this.written.push(entry);
      this.pending.delete(p);
    } catch (err) {
      this.fail(err as Error);
      // The first failure, not what it caused here (a stream destroyed, an abort).
      throw this.error!;
    }
  }

  /** Writes to the output, waiting while it is full; nothing once the archive has failed. */
  private async put(chunk: Buffer): Promise<void> {
    this.check();
    this.offset += chunk.length;
    if (this.out.write(chunk)) return;
    await once(this.out, 'drain', { signal: this.stopped.signal }).catch((err: unknown) => {
      throw this.error ?? err;
    });
  }

  private check(): void {
    if (this.error) throw this.error;
  }

  private fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    this.stopped.abort(err);
    for (const p of this.pending) p.destroy();
    this.pending.clear();
  }
}
