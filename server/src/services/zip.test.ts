import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { waitUntil } from '../testing/smtpRelay.ts';
import { listZip, readZip } from '../testing/zip.ts';
import { centralHeader, dosDateTime, endOfArchive, ZipError, ZipWriter, type ZipEntry } from './zip.ts';

const MiB = 1024 * 1024;

/**
 * An output that keeps what it is given. `slow`: one chunk a turn of the event loop behind a
 * small buffer, so that the writer has to wait for 'drain'. `held`: takes nothing until
 * `release()`, like a client that stopped reading.
 */
function sink(opts: { slow?: boolean; held?: boolean } = {}) {
  const chunks: Buffer[] = [];
  let received = 0;
  let waiting: (() => void)[] = [];
  let held = opts.held ?? false;
  const out = new Writable({
    highWaterMark: opts.slow || held ? 1024 : 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      received += chunk.length;
      if (held) waiting.push(callback);
      else if (opts.slow) setImmediate(callback);
      else callback();
    },
  });
  return {
    out,
    bytes: () => Buffer.concat(chunks),
    received: () => received,
    release() {
      held = false;
      for (const callback of waiting) callback();
      waiting = [];
    },
  };
}

/** A source that makes `total` bytes in `chunk`-sized pieces as they are asked for; counts them. */
function generated(total: number, chunk: number, make: (offset: number, length: number) => Buffer) {
  let offset = 0;
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (offset >= total) return void this.push(null);
      const length = Math.min(chunk, total - offset);
      const piece = make(offset, length);
      offset += length;
      this.push(piece);
    },
  });
  return { stream, pulled: () => offset };
}

/** A source that gives `first` at once and then nothing until it is ended (a slow database read). */
function pending(first: Buffer) {
  const stream = new Readable({ read() {} });
  stream.push(first);
  return { stream, end: () => stream.push(null) };
}

/** Text that deflates well: CSV lines (16 MiB of them), the same bytes however they are cut. */
let csvText: Buffer | undefined;
const csv = (offset: number, length: number) => {
  if (!csvText) {
    const lines: string[] = [];
    for (let i = 0, size = 0; size < 16 * MiB + 100_000; i++) {
      lines.push(`${i};ORD-${(i * 7919) % 100_003};Milano;${i % 97}.50 EUR\n`);
      size += lines.at(-1)!.length;
    }
    csvText = Buffer.from(lines.join(''));
  }
  if (offset + length > csvText.length) throw new Error('More CSV than the test made');
  return csvText.subarray(offset, offset + length);
};

async function archive(entries: ZipEntry[], options?: ConstructorParameters<typeof ZipWriter>[1]): Promise<Buffer> {
  const { out, bytes } = sink();
  const zip = new ZipWriter(out, options);
  for (const e of entries) void zip.add(e);
  await zip.finish();
  return bytes();
}

/** Checks every entry read back: name, method, bytes, and CRC-32 against the bytes that went in. */
async function expectEntries(buffer: Buffer, expected: { name: string; data: Buffer; store: boolean }[]) {
  const read = await readZip(buffer);
  expect(read.map((r) => r.entry.fileName)).to.deep.equal(expected.map((e) => e.name));
  for (const [i, { entry, data }] of read.entries()) {
    const want = expected[i]!;
    expect(data.equals(want.data), want.name).to.equal(true);
    expect(entry.crc32, want.name).to.equal(crc32(want.data));
    expect(entry.uncompressedSize, want.name).to.equal(want.data.length);
    expect(entry.compressionMethod, want.name).to.equal(want.store ? 0 : 8);
  }
  return read;
}

describe('ZipWriter', () => {
  it('writes stored and deflated entries, empty ones and UTF-8 names, that another reader reads back whole', async () => {
    const photo = randomBytes(300_000);
    const text = csv(0, 500_000);
    const date = new Date(2026, 10, 28, 17, 45, 31);
    const expected = [
      { name: 'chat.txt', data: Buffer.from('\ufeffOrdine 4471\n[28/11/2026, 17:45] Piero: Buongiorno\n'), store: false },
      { name: 'attachments/foto.jpg', data: photo, store: true },
      { name: 'attachments/ordini.csv', data: text, store: false },
      { name: 'attachments/vuoto.jpg', data: Buffer.alloc(0), store: true },
      { name: 'attachments/vuoto.txt', data: Buffer.alloc(0), store: false },
      { name: 'attachments/perché – 東京 📎.txt', data: Buffer.from('àèìòù €'), store: false },
    ];
    const zip = await archive(
      expected.map((e, i) => ({
        name: e.name,
        // Each kind of source: a string, a Buffer, a stream.
        source: i === 0 ? e.data.toString() : i % 2 ? e.data : Readable.from([e.data]),
        store: e.store,
      })),
      { date },
    );
    const read = await expectEntries(zip, expected);
    for (const { entry } of read) {
      // Sizes after the data (bit 3), UTF-8 names (bit 11); made by Unix; a plain rw-r--r-- file.
      expect(entry.generalPurposeBitFlag).to.equal(0x0808);
      expect(entry.versionMadeBy >> 8).to.equal(3);
      expect(entry.externalFileAttributes >>> 16).to.equal(0o100644);
      expect(entry.getLastModDate().getTime()).to.equal(new Date(2026, 10, 28, 17, 45, 30).getTime());
    }
    expect(read[2]!.entry.compressedSize).to.be.lessThan(text.length / 3);
    expect(read[1]!.entry.compressedSize).to.equal(photo.length);
    // The reader used here (and by the export tests) does notice a wrong CRC-32.
    const corrupt = Buffer.from(zip);
    const directory = corrupt.readUInt32LE(corrupt.length - 22 + 16);
    corrupt.writeUInt32LE((corrupt.readUInt32LE(directory + 16) ^ 1) >>> 0, directory + 16);
    let refused: unknown;
    await readZip(corrupt).catch((err: unknown) => (refused = err));
    expect((refused as Error).message).to.match(/^CRC-32 mismatch in chat\.txt/);
  });

  it('streams a large entry of many chunks through a slow output, stored and deflated', async () => {
    const size = 12 * MiB + 12_345;
    const noise = randomBytes(size);
    const { out, bytes } = sink({ slow: true });
    // A small buffer ahead, so that reading waits for the output many times over.
    const zip = new ZipWriter(out, { bufferBytes: 256 * 1024 });
    const stored = generated(size, 100_003, (offset, length) => noise.subarray(offset, offset + length));
    const deflated = generated(size, 65_537, csv);
    void zip.add({ name: 'noise.bin', source: stored.stream, store: true });
    void zip.add({ name: 'report.csv', source: deflated.stream, store: false });
    await zip.finish();
    await expectEntries(bytes(), [
      { name: 'noise.bin', data: noise, store: true },
      { name: 'report.csv', data: csv(0, size), store: false },
    ]);
  });

  it('prepares the next entry while this one is written, and holds no more than its buffer ahead', async () => {
    const { out, bytes, received, release } = sink({ held: true });
    const bufferBytes = 1 * MiB;
    const zip = new ZipWriter(out, { bufferBytes });
    const size = 16 * MiB;
    const noise = randomBytes(64 * 1024);
    const repeat = (offset: number, length: number) => Buffer.concat([noise, noise]).subarray(offset % noise.length, (offset % noise.length) + length);
    const first = generated(size, 64 * 1024, repeat);
    const second = generated(size, 64 * 1024, csv);
    const written = [zip.add({ name: 'a.bin', source: first.stream, store: true }), zip.add({ name: 'b.csv', source: second.stream, store: false })];
    // The output takes nothing: the second entry is read (and deflated) all the same, while the
    // first still waits for its turn to end...
    await waitUntil(() => second.pulled() > bufferBytes, 30_000, 'the prepared entry to be read');
    // ...until both buffers are full: then reading stops (nothing more pulled for a while).
    let before = -1;
    while (first.pulled() + second.pulled() !== before) {
      before = first.pulled() + second.pulled();
      await sleep(500);
    }
    console.log(`figure: read ahead of a stalled output: ${(first.pulled() / MiB).toFixed(2)} MiB (being written), ${(second.pulled() / MiB).toFixed(2)} MiB (prepared), buffer ${bufferBytes / MiB} MiB`);
    // Neither far beyond its buffer, nowhere near 16 MiB: the one being written also has a
    // buffer's worth handed to the output (which holds it unread), plus the streams' few chunks.
    expect(first.pulled() - received()).to.be.lessThan(2 * bufferBytes + MiB);
    // The buffer holds deflated bytes: this CSV deflates about fivefold.
    expect(second.pulled()).to.be.lessThan(bufferBytes * 10);
    release();
    await Promise.all(written);
    await zip.finish();
    const read = await readZip(bytes());
    expect(read.map((r) => r.data.length)).to.deep.equal([size, size]);
    expect(read[1]!.data.equals(csv(0, size))).to.equal(true);
  });

  it('keeps only `ahead` entries prepared beyond the one being written (addAll)', async () => {
    const { out, bytes } = sink();
    const zip = new ZipWriter(out);
    const sources = Array.from({ length: 5 }, (_, i) => pending(Buffer.from(`file ${i}\n`)));
    const taken: number[] = [];
    function* entries() {
      for (const [i, s] of sources.entries()) {
        taken.push(i);
        yield { name: `f${i}.txt`, source: s.stream, store: false };
      }
    }
    const all = zip.addAll(entries(), 1);
    // The first is being written (its source is still open), the second prepared, no more.
    const takes = async (expected: number[]) => {
      await waitUntil(() => taken.length >= expected.length, 10_000, `entries ${expected.join(', ')} taken`);
      await sleep(100);
      expect(taken).to.deep.equal(expected);
    };
    await takes([0, 1]);
    sources[1]!.end();
    await takes([0, 1]);
    // The first written, then the second (it was ready): the third is written, the fourth prepared.
    sources[0]!.end();
    await takes([0, 1, 2, 3]);
    sources[2]!.end();
    await takes([0, 1, 2, 3, 4]);
    for (const s of sources.slice(3)) s.end();
    await all;
    await zip.finish();
    await expectEntries(
      bytes(),
      sources.map((_, i) => ({ name: `f${i}.txt`, data: Buffer.from(`file ${i}\n`), store: false })),
    );
  });

  it('fails the archive when a source fails, the one being written or a prepared one, and stops the others', async () => {
    for (const failing of ['current', 'prepared'] as const) {
      const { out } = sink();
      const zip = new ZipWriter(out);
      const slow = pending(Buffer.from('some of it'));
      const broken = new Readable({
        read() {
          this.destroy(new Error('database gone'));
        },
      });
      const later = pending(Buffer.from('never read whole'));
      const entries = failing === 'current' ? [broken, slow.stream] : [slow.stream, broken];
      const results = [...entries, later.stream].map((source, i) => zip.add({ name: `${i}.txt`, source, store: i % 2 === 0 }).then(() => 'written', (err: Error) => err.message));
      expect(await Promise.all(results), failing).to.deep.equal(['database gone', 'database gone', 'database gone']);
      let finished: unknown;
      await zip.finish().catch((err: unknown) => (finished = err));
      expect((finished as Error).message).to.equal('database gone');
      expect(slow.stream.destroyed && later.stream.destroyed).to.equal(true);
      expect(out.writableEnded).to.equal(false);
    }
  });

  it('stops on abort: the sources of the entries being written and prepared are destroyed, nothing more is written', async () => {
    const { out, received } = sink();
    const zip = new ZipWriter(out);
    const current = pending(randomBytes(100_000));
    const next = pending(randomBytes(100_000));
    const first = zip.add({ name: 'a.bin', source: current.stream, store: true });
    const second = zip.add({ name: 'b.bin', source: next.stream, store: false });
    await waitUntil(() => received() > 100_000, 10_000, 'the first entry written');
    const at = received();
    zip.abort();
    const outcomes = await Promise.allSettled([first, second, zip.finish()]);
    for (const o of outcomes) expect(o.status === 'rejected' && o.reason instanceof ZipError && o.reason.code).to.equal('aborted');
    expect(current.stream.destroyed && next.stream.destroyed).to.equal(true);
    // An entry added afterwards reads nothing.
    const late = pending(Buffer.from('x'));
    await zip.add({ name: 'c.txt', source: late.stream, store: false }).catch(() => {});
    expect(late.stream.destroyed).to.equal(true);
    await sleep(50);
    expect(received()).to.equal(at);
  });

  it('fails when the output fails or closes early, without waiting for a drain that never comes', async () => {
    for (const how of ['error', 'close'] as const) {
      const { out } = sink({ held: true });
      const zip = new ZipWriter(out);
      const source = generated(8 * MiB, 64 * 1024, csv);
      const written = zip.add({ name: 'big.csv', source: source.stream, store: true });
      await sleep(50);
      out.destroy(how === 'error' ? new Error('socket reset') : undefined);
      let failed: unknown;
      await written.catch((err: unknown) => (failed = err));
      expect((failed as Error).message).to.equal(how === 'error' ? 'socket reset' : 'The output closed before the archive was complete');
      expect(source.stream.destroyed).to.equal(true);
      await zip.finish().then(
        () => expect.fail('finish() answered after the output failed'),
        () => {},
      );
    }
  });

  it('refuses an entry past the size limit, compressed or not, with a clear error', async () => {
    const limit = 1000;
    const cases = [
      { what: 'stored', source: randomBytes(limit + 1), store: true },
      // Deflates to a few bytes: the size before compression is what passes.
      { what: 'deflated, large before', source: Buffer.alloc(limit + 1), store: false },
      // Noise grows a little when deflated: the compressed size is what passes.
      { what: 'deflated, large after', source: randomBytes(limit), store: false },
    ];
    for (const c of cases) {
      const { out } = sink();
      const zip = new ZipWriter(out, { maxEntryBytes: limit });
      let failed: unknown;
      await zip.add({ name: 'big.bin', source: c.source, store: c.store }).catch((err: unknown) => (failed = err));
      expect(failed, c.what).to.be.instanceOf(ZipError);
      expect((failed as ZipError).code, c.what).to.equal('entry_too_large');
      expect((failed as Error).message).to.include('"big.bin"');
    }
    // At the limit it is written.
    const zip = await archive([{ name: 'ok.bin', source: Buffer.alloc(limit, 1), store: true }], { maxEntryBytes: limit });
    await expectEntries(zip, [{ name: 'ok.bin', data: Buffer.alloc(limit, 1), store: true }]);
  });

  it('writes ZIP64 end records past 65,534 entries, and another reader finds every entry', async function () {
    this.timeout(120_000);
    const count = 66_000;
    const started = performance.now();
    const entries = Array.from({ length: count }, (_, i) => ({ name: `f/${i}.txt`, data: Buffer.from(`entry ${i}`), store: i % 1000 !== 0 }));
    const zip = await archive(entries.map((e) => ({ name: e.name, source: e.data, store: e.store })));
    const wrote = performance.now() - started;
    // Every entry listed, with the CRC and sizes of what went in (other tests read bytes back).
    const listed = await listZip(zip);
    expect(listed.map((e) => [e.fileName, e.crc32, e.uncompressedSize, e.compressionMethod])).to.deep.equal(
      entries.map((e) => [e.name, crc32(e.data), e.data.length, e.store ? 0 : 8]),
    );
    console.log(`figure: ${count} entries written in ${wrote.toFixed(0)} ms, listed by yauzl in ${(performance.now() - started - wrote).toFixed(0)} ms`);
    // The classic end record says "see ZIP64" (0xffff entries); the ZIP64 record has the count.
    const end = zip.subarray(zip.length - 22);
    expect(end.readUInt16LE(10)).to.equal(0xffff);
    const record = zip.subarray(zip.length - 22 - 20 - 56);
    expect(record.readUInt32LE(0)).to.equal(0x06064b50);
    expect(Number(record.readBigUInt64LE(32))).to.equal(count);
  });

  it('puts an offset past 4 GiB in a ZIP64 extra field that another reader understands', async () => {
    const when = dosDateTime(new Date(2026, 10, 28, 9, 0, 0));
    const offset = 5 * 1024 * MiB + 17;
    const name = Buffer.from('attachments/ultimo.csv');
    const far = centralHeader({ name, method: 8, crc: 0x12345678, compressedSize: 1000, size: 4000, offset }, when);
    expect(far.readUInt16LE(6)).to.equal(45);
    expect(far.readUInt32LE(42)).to.equal(0xffffffff);
    expect(far.readUInt16LE(30)).to.equal(12);
    expect(far.readUInt16LE(46 + name.length)).to.equal(0x0001);
    expect(Number(far.readBigUInt64LE(46 + name.length + 4))).to.equal(offset);
    // Just below the mark, no extra field.
    const near = centralHeader({ name, method: 8, crc: 1, compressedSize: 1, size: 1, offset: 0xfffffffe }, when);
    expect(near.length).to.equal(46 + name.length);
    expect(near.readUInt32LE(42)).to.equal(0xfffffffe);
    // yauzl reads the directory (it opens no entry, so the data need not be there).
    const directory = Buffer.concat([far, near]);
    const entries = await listZip(Buffer.concat([directory, endOfArchive(2, 0, directory.length)]));
    expect(entries.map((e) => [e.fileName, e.relativeOffsetOfLocalHeader, e.crc32, e.compressedSize, e.uncompressedSize])).to.deep.equal([
      ['attachments/ultimo.csv', offset, 0x12345678, 1000, 4000],
      ['attachments/ultimo.csv', 0xfffffffe, 1, 1, 1],
    ]);
  });

  it('writes ZIP64 end records when the central directory starts or runs past 4 GiB', () => {
    const small = endOfArchive(3, 1000, 200);
    expect(small.length).to.equal(22);
    expect([small.readUInt16LE(10), small.readUInt32LE(12), small.readUInt32LE(16)]).to.deep.equal([3, 200, 1000]);
    for (const [offset, size] of [
      [6 * 1024 * MiB, 300],
      [1000, 0xffffffff],
    ] as const) {
      const end = endOfArchive(3, offset, size);
      expect(end.length).to.equal(56 + 20 + 22);
      expect(end.readUInt32LE(0)).to.equal(0x06064b50);
      expect([Number(end.readBigUInt64LE(4)), end.readUInt16LE(14)]).to.deep.equal([44, 45]);
      expect([24, 32, 40, 48].map((at) => Number(end.readBigUInt64LE(at)))).to.deep.equal([3, 3, size, offset]);
      // The locator points at the ZIP64 record, right after the directory.
      expect(end.readUInt32LE(56)).to.equal(0x07064b50);
      expect(Number(end.readBigUInt64LE(56 + 8))).to.equal(offset + size);
      expect(end.readUInt32LE(56 + 16)).to.equal(1);
      const classic = end.subarray(76);
      expect([classic.readUInt32LE(0), classic.readUInt16LE(10), classic.readUInt32LE(12), classic.readUInt32LE(16)]).to.deep.equal([
        0x06054b50,
        3,
        Math.min(size, 0xffffffff),
        Math.min(offset, 0xffffffff),
      ]);
    }
  });

  it('dates entries in MS-DOS form, from 1980 to 2107', () => {
    expect(dosDateTime(new Date(2026, 10, 28, 17, 45, 31))).to.deep.equal({ date: ((2026 - 1980) << 9) | (11 << 5) | 28, time: (17 << 11) | (45 << 5) | 15 });
    expect(dosDateTime(new Date(1970, 0, 1))).to.deep.equal({ date: (1 << 5) | 1, time: 0 });
    expect(dosDateTime(new Date(2200, 0, 1))).to.deep.equal(dosDateTime(new Date(2107, 11, 31, 23, 59, 59)));
  });

  it('refuses an empty entry name', async () => {
    const { out } = sink();
    const zip = new ZipWriter(out);
    let failed: unknown;
    await zip.add({ name: '', source: 'x', store: false }).catch((err: unknown) => (failed = err));
    expect((failed as ZipError).code).to.equal('bad_entry');
  });
});
