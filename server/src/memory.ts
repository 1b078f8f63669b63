/**
 * Young-generation collections paced by the bytes of files that stream through the process.
 *
 * Streaming a file leaves its bytes behind as garbage buffers a moment later: the socket's reads,
 * the rows copied out of them, the compressor's output, the response's chunks (about 2.6 bytes of
 * buffers per byte read from PostgreSQL; an upload leaves its chunks and their concatenation).
 * Buffers live outside V8's heap, and V8 collects them only when they have grown by 64 MiB since
 * its last full collection, or when its young generation fills with JS objects, which streaming
 * makes few of. So the first export of 200 MiB grew the server by 64 MiB of garbage plus what it
 * holds (72-74 MiB on PostgreSQL). A young-generation collection (a scavenge, about a millisecond)
 * asked for every 8 MiB streamed frees the buffers that nothing holds any more, and the same export
 * grew 43-49 MiB (six runs), in the same time. Every 4 MiB made it 33-35 MiB on PostgreSQL but 85
 * on PGlite, against 68 at 8.
 *
 * Node lets a program ask for a collection only when it runs with `--expose-gc`, which `npm start`
 * passes; without it the pacer does nothing and V8 collects on its own, later.
 */

export class CollectionPacer {
  private since = 0;

  /**
   * @param every bytes streamed between two collections
   * @param collect asks for a collection; null when the runtime offers none
   */
  constructor(
    private readonly every: number,
    private readonly collect: (() => void) | null,
  ) {}

  get enabled(): boolean {
    return this.collect !== null;
  }

  /** Counts `bytes` that streamed through; collects once `every` bytes have since the last time. */
  streamed(bytes: number): void {
    if (!this.collect) return;
    this.since += bytes;
    if (this.since < this.every) return;
    this.since = 0;
    this.collect();
  }
}

export const COLLECT_EVERY_BYTES = 8 * 1024 * 1024;

const exposedGc = globalThis.gc;

/** The process's pacer: uploads and stored files' streams (downloads, exports, mail) count here. */
export const streamedFiles = new CollectionPacer(COLLECT_EVERY_BYTES, exposedGc ? () => exposedGc({ type: 'minor' }) : null);
