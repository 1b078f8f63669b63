import { expect } from 'chai';
import { parseBinaryCopy } from './binaryCopy.ts';

/** Binary COPY data of rows of (int4, bytea-or-null) as PostgreSQL writes it. */
function copyData(rows: [number, Buffer | null][]): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 2, 0xab, 0xcd])];
  for (const [n, data] of rows) {
    const head = Buffer.alloc(2 + 4 + 4 + 4);
    head.writeInt16BE(2, 0);
    head.writeInt32BE(4, 2);
    head.writeInt32BE(n, 6);
    head.writeInt32BE(data ? data.length : -1, 10);
    parts.push(head);
    if (data) parts.push(data);
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

describe('binary COPY parsing', () => {
  const rows: [number, Buffer | null][] = [
    [0, Buffer.from('abc')],
    [1, null],
    [-7, Buffer.alloc(0)],
    [123456, Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256))],
  ];
  const whole = copyData(rows);
  const expected = rows.map(([n, d]) => [n, d === null ? null : [...d]]);
  const read = (parts: Buffer[]) => parseBinaryCopy(parts).map(([n, d]) => [n!.readInt32BE(0), d === null ? null : [...d!]]);

  it('reads rows, NULLs and empty values from one buffer', () => {
    expect(read([whole])).to.deep.equal(expected);
  });

  it('reads the same whatever the pieces the data arrives in', () => {
    for (const size of [1, 2, 3, 5, 7, 64, 999]) {
      const parts: Buffer[] = [];
      for (let i = 0; i < whole.length; i += size) parts.push(whole.subarray(i, i + size));
      expect(read(parts), `pieces of ${size}`).to.deep.equal(expected);
    }
  });

  it('refuses data that is not binary COPY, or ends early', () => {
    expect(() => parseBinaryCopy([Buffer.from('hello world, not a copy')])).to.throw(/not binary COPY/);
    expect(() => parseBinaryCopy([whole.subarray(0, whole.length - 10)])).to.throw(/ends early/);
  });
});
