/**
 * A chat client for fault tests that behaves as a well-made app must: it keeps every message it
 * received by group and sequence number, resumes with `chat:join { sinceSeq }` from the end of its
 * unbroken run after every (re)connection, fills a gap it notices in the live stream with
 * `messages:since`, and sends each message with a client id of its own until one send is
 * acknowledged (a retry after a lost answer carries the same id, so the server stores it once).
 *
 * What it counts lets a test check "delivered exactly once": `seen` holds one entry per sequence
 * number; `conflicts` lists any sequence number that came twice with different contents.
 */
import type { MessageDto } from '@chatpro/common';
import type { TestClient } from './client.ts';
import { ask, connectSocket, type ChatSocket } from './socket.ts';

export type Msg = Pick<MessageDto, 'id' | 'seq' | 'clientId' | 'body' | 'groupId'>;

export interface Outgoing {
  groupId: string;
  clientId: string;
  body: string;
}

export type SendResult = { ok: true; message: Msg } | { ok: false; code: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ChatMember {
  socket: ChatSocket | null = null;
  /** group id → seq → message: what this member has, each once. */
  readonly seen = new Map<string, Map<number, Msg>>();
  /** A seq received again with other contents (must stay empty). */
  readonly conflicts: string[] = [];
  /** Messages received again (the live stream and a resume overlapping): harmless, merged. */
  repeats = 0;
  /** `chat:join`/`messages:since` calls made to catch up. */
  resumes = 0;
  /** Connection attempts that failed (refused, or the resume after it failed) before one worked. */
  failedAttempts = 0;
  /** Sends that were not acknowledged at first (no answer, or the connection gone) and went again. */
  retries = 0;
  /** Reconnect (and resume) by itself whenever the connection drops. */
  autoReconnect = false;
  /** Reconnections made by itself, and what went wrong in them (must stay empty). */
  reconnections = 0;
  readonly failures: string[] = [];
  private reconnecting: Promise<void> | null = null;
  /** Why the last failed attempt failed. */
  lastError = '';
  private url: string;
  private filling = new Set<string>();
  /** Called whenever a message is added (for `caughtUp` to wait without polling hard). */
  private readonly onAdded = new Set<() => void>();
  private generation = 0;

  constructor(
    readonly name: string,
    readonly client: TestClient,
    url: string,
    readonly groupIds: string[],
    readonly as?: 'internal' | 'external',
  ) {
    this.url = url;
    for (const g of groupIds) this.seen.set(g, new Map());
  }

  get connected(): boolean {
    return Boolean(this.socket?.connected);
  }

  /** The end of the unbroken run of sequence numbers of a group: where to resume from. */
  contiguous(groupId: string): number {
    const seqs = this.seen.get(groupId)!;
    let n = 0;
    while (seqs.has(n + 1)) n++;
    return n;
  }

  private accept(m: Msg): void {
    const seqs = this.seen.get(m.groupId);
    if (!seqs) return;
    const had = seqs.get(m.seq);
    if (had) {
      this.repeats++;
      if (had.clientId !== m.clientId || had.id !== m.id) this.conflicts.push(`${m.groupId}#${m.seq}: ${had.clientId} then ${m.clientId}`);
      return;
    }
    seqs.set(m.seq, { id: m.id, seq: m.seq, clientId: m.clientId, body: m.body, groupId: m.groupId });
    for (const wake of this.onAdded) wake();
  }

  /**
   * Connects (trying until `deadline`, for a server that is restarting or a network that is down)
   * and resumes every group. Resolves once caught up with what the server had at the join.
   */
  async connect(deadline = Date.now() + 60_000): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const socket = await connectSocket(this.client.via(this.url), this.as);
        const generation = ++this.generation;
        this.socket = socket;
        socket.on('message:new', (m) => {
          if (generation !== this.generation) return;
          this.accept(m);
          // A live message past a hole: something was missed (e.g. while another process was
          // not listening); fetch the hole, once at a time per group.
          if (m.seq > this.contiguous(m.groupId) + 1) void this.fill(m.groupId).catch(() => {});
        });
        socket.on('disconnect', () => {
          if (generation !== this.generation || !this.autoReconnect) return;
          // As an app does, it keeps trying; the test's own deadline says when it is too late.
          this.reconnecting ??= this.connect(Date.now() + 10 * 60_000)
            .then(() => void this.reconnections++)
            .catch((err: unknown) => void this.failures.push((err as Error).message))
            .finally(() => (this.reconnecting = null));
        });
        for (const g of this.groupIds) await this.resume(g);
        return;
      } catch (err) {
        this.failedAttempts++;
        this.lastError = (err as Error).message;
        this.socket?.disconnect();
        this.socket = null;
        if (Date.now() > deadline) throw new Error(`${this.name} could not reconnect: ${(err as Error).message}`);
        await sleep(Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  /** `chat:join` from the resume point, then `messages:since` while the server says there is more. */
  async resume(groupId: string): Promise<void> {
    const socket = this.socket!;
    this.resumes++;
    const joined = await ask(socket, 'chat:join', { groupId, sinceSeq: this.contiguous(groupId) }, 20_000);
    if (!joined.ok) throw new Error(`${this.name} could not join: ${JSON.stringify(joined.error)}`);
    for (const m of joined.messages as Msg[]) this.accept(m);
    let more = joined.hasMore as boolean;
    while (more) {
      this.resumes++;
      const page = await ask(socket, 'messages:since', { groupId, sinceSeq: this.contiguous(groupId) }, 20_000);
      if (!page.ok) throw new Error(`${this.name} could not page: ${JSON.stringify(page.error)}`);
      for (const m of page.messages as Msg[]) this.accept(m);
      more = page.hasMore && page.messages.length > 0;
    }
  }

  private async fill(groupId: string): Promise<void> {
    if (this.filling.has(groupId) || !this.connected) return;
    this.filling.add(groupId);
    try {
      await this.resume(groupId);
    } finally {
      this.filling.delete(groupId);
    }
  }

  /** One attempt: the ack, or why there is none (`no_answer` when it did not come in `ms`). */
  async sendOnce(m: Outgoing, ms = 10_000): Promise<SendResult> {
    if (!this.connected) return { ok: false, code: 'disconnected' };
    try {
      const ack = await ask(this.socket!, 'message:send', m, ms);
      if (ack.ok) {
        this.accept(ack.message);
        return { ok: true, message: ack.message };
      }
      return { ok: false, code: ack.error.code };
    } catch {
      return { ok: false, code: 'no_answer' };
    }
  }

  /**
   * Sends until acknowledged, with the same client id each time, reconnecting when the socket is
   * gone (what an app's outbox does). `retryable` says which refusals to try again.
   */
  async sendUntilAcked(m: Outgoing, deadline: number, retryable = (code: string) => code !== 'validation_failed'): Promise<Msg> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.retries++;
      const res = await this.sendOnce(m);
      if (res.ok) return res.message;
      if (!retryable(res.code) || Date.now() > deadline) throw new Error(`${this.name}: ${m.clientId} not acknowledged (${res.code})`);
      if (res.code === 'disconnected') await this.waitConnected(deadline);
      else await sleep(100 + Math.random() * 200);
    }
  }

  /** Waits until the owner of this member has reconnected it. */
  async waitConnected(deadline: number): Promise<void> {
    while (!this.connected) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not reconnect in time`);
      await sleep(20);
    }
  }

  /** Until every group has everything up to `upTo[group]` (fails after `ms`). */
  async caughtUp(upTo: Map<string, number>, ms: number): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      const behind = this.groupIds.filter((g) => this.contiguous(g) < (upTo.get(g) ?? 0));
      if (!behind.length) return;
      if (Date.now() > end) throw new Error(`${this.name} is behind in ${behind.length} group(s), e.g. at ${this.contiguous(behind[0]!)} of ${upTo.get(behind[0]!)}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.onAdded.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 250);
        this.onAdded.add(wake);
      });
    }
  }

  setUrl(url: string): void {
    this.url = url;
  }

  disconnect(): void {
    this.generation++;
    this.socket?.disconnect();
    this.socket = null;
  }
}

/** Seeded random numbers (mulberry32), so that a failing run reproduces with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
