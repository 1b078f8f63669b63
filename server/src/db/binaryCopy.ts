/**
 * Rows read with `COPY (query) TO STDOUT (FORMAT binary)`: each value comes as the bytes of its
 * binary form. node-postgres has no binary result format that works for bytea (its protocol
 * parser decodes every value as UTF-8 text), so a SELECT of a bytea column is sent as hex text:
 * twice the bytes on the wire, hex encoding in the server, then a UTF-8 decode and a hex decode in
 * this process. For the attachment chunks that was most of an export's or a download's work.
 * PGlite writes the same format to its `/dev/blob` device.
 */
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Reads big-endian integers and byte runs across a list of buffers without joining them. */
class PartsReader {
  private part = 0;
  private offset = 0;
  constructor(private readonly parts: Buffer[]) {}

  /** `n` bytes: a view when they lie in one part, else a copy of the pieces. */
  bytes(n: number): Buffer {
    while (this.part < this.parts.length && this.offset === this.parts[this.part]!.length) {
      this.part++;
      this.offset = 0;
    }
    const current = this.parts[this.part];
    if (!current) throw new Error('binary COPY data ends early');
    if (this.offset + n <= current.length) {
      const view = current.subarray(this.offset, this.offset + n);
      this.offset += n;
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    for (let filled = 0; filled < n; ) {
      const p = this.parts[this.part];
      if (!p) throw new Error('binary COPY data ends early');
      const take = Math.min(n - filled, p.length - this.offset);
      p.copy(out, filled, this.offset, this.offset + take);
      filled += take;
      this.offset += take;
      if (this.offset === p.length) {
        this.part++;
        this.offset = 0;
      }
    }
    return out;
  }

  int16(): number {
    return this.bytes(2).readInt16BE(0);
  }

  int32(): number {
    return this.bytes(4).readInt32BE(0);
  }
}

/**
 * The rows of a binary COPY (header, tuples, trailer), each a list of its values' bytes (null for
 * NULL). The values are views into `parts` where they do not straddle two of them.
 */
export function parseBinaryCopy(parts: Buffer[]): (Buffer | null)[][] {
  const r = new PartsReader(parts);
  if (!r.bytes(SIGNATURE.length).equals(SIGNATURE)) throw new Error('not binary COPY data');
  r.int32(); // flags: no OIDs since PostgreSQL 12
  r.bytes(r.int32()); // header extension
  const rows: (Buffer | null)[][] = [];
  for (let fields = r.int16(); fields !== -1; fields = r.int16()) {
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < fields; i++) {
      const length = r.int32();
      row.push(length === -1 ? null : r.bytes(length));
    }
    rows.push(row);
  }
  return rows;
}

/**
 * node-postgres "submittable" running a COPY TO STDOUT: it gathers the CopyData messages (copied,
 * since the protocol parser reuses its buffer) and settles once the server is ready again.
 */
class CopyOut {
  readonly done: Promise<Buffer[]>;
  private readonly parts: Buffer[] = [];
  private error: Error | null = null;
  private settled = false;
  private resolve: (parts: Buffer[]) => void = () => {};
  private reject: (err: Error) => void = () => {};

  constructor(readonly text: string) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    this.parts.push(Buffer.from(msg.chunk));
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handleRowDescription(): void {}

  handleDataRow(): void {}

  handleCopyInResponse(connection: { sendCopyFail(msg: string): void }): void {
    connection.sendCopyFail('not a COPY FROM');
  }

  /** An error from the server (ReadyForQuery follows) or from the connection (nothing follows). */
  handleError(err: Error): void {
    this.error ??= err;
    if (!this.settled) {
      this.settled = true;
      this.reject(err);
    }
  }

  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.error) this.reject(this.error);
    else this.resolve(this.parts);
  }
}

/** Runs `COPY (query) TO STDOUT (FORMAT binary)` on a client of the pool; answers its rows. */
export async function copyRowsPg(pool: pg.Pool, query: string): Promise<(Buffer | null)[][]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const copy = new CopyOut(`copy (${query}) to stdout (format binary)`);
    void client.query(copy as unknown as pg.QueryConfig);
    const parts = await copy.done.catch((err: Error & { severity?: string }) => {
      // An error the server answered leaves the client usable; any other breaks it.
      if (!err.severity) broken = err;
      throw err;
    });
    return parseBinaryCopy(parts);
  } finally {
    client.release(broken);
  }
}

/** Runs `COPY (query) TO '/dev/blob' (FORMAT binary)` on PGlite; answers its rows. */
export async function copyRowsPglite(client: PGlite, query: string): Promise<(Buffer | null)[][]> {
  const result = await client.query(`copy (${query}) to '/dev/blob' with (format binary)`);
  if (!result.blob) throw new Error('PGlite wrote no blob for the COPY');
  return parseBinaryCopy([Buffer.from(await result.blob.arrayBuffer())]);
}
