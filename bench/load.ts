/**
 * The benchmark's load generator, in a process of its own (forked by bench/run.ts), so that the
 * server's RSS and CPU measured in run.ts are the server's alone. It holds the client sockets,
 * sends at the asked rate round-robin over them, and times each message from its send to the
 * broadcast received by the other socket of its group (both ends on this process's clock).
 *
 * Driven over IPC: `connect` (the sockets: relay auth, or a session cookie and a group to join),
 * `drive` (rate, duration), `close`. Each answers one message back.
 */
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';

export type Mode = 'relay' | 'product';
export interface SocketSpec {
  auth?: Record<string, unknown>;
  cookie?: string;
  /** Product: the group this socket joins and sends to. */
  groupId?: string;
}
export type LoadRequest =
  | { type: 'connect'; url: string; mode: Mode; specs: SocketSpec[] }
  | { type: 'drive'; rate: number; durationMs: number; drainMs: number }
  | { type: 'close' };
export interface DriveResult {
  sent: number;
  received: number;
  lost: number;
  /** Sends answered with an error ack. */
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Messages per second actually sent (a busy generator falls short of the rate asked). */
  achieved: number;
  /** This process's CPU while driving, % of one core. */
  clientCpu: number;
  /** Sends the server had still not answered 120 s after the run (it is still busy with them). */
  unanswered: number;
}

const BODY = 'Buongiorno, avrei una domanda sul preventivo';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const round = (x: number) => Math.round(x * 10) / 10;

let mode: Mode = 'relay';
let sockets: { socket: Socket; groupId?: string }[] = [];
const sentAt = new Map<string, number>();
let latencies: number[] = [];

function reply(message: unknown): void {
  process.send!(message);
}

async function connectAll(url: string, specs: SocketSpec[]): Promise<void> {
  for (let i = 0; i < specs.length; i += 50) {
    const batch = await Promise.all(
      specs.slice(i, i + 50).map((spec) => {
        const socket = io(url, {
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          ...(spec.auth ? { auth: spec.auth } : {}),
          ...(spec.cookie ? { extraHeaders: { cookie: spec.cookie } } : {}),
        });
        return new Promise<{ socket: Socket; groupId?: string }>((resolve, reject) => {
          socket.once('connect', async () => {
            if (spec.groupId) {
              const joined = await socket.timeout(30_000).emitWithAck('chat:join', { groupId: spec.groupId, sinceSeq: 0 });
              if (!joined?.ok) return reject(new Error(`chat:join failed: ${JSON.stringify(joined)}`));
            }
            resolve({ socket, ...(spec.groupId ? { groupId: spec.groupId } : {}) });
          });
          socket.once('connect_error', reject);
        });
      }),
    );
    sockets.push(...batch);
  }
  const event = mode === 'relay' ? 'msg' : 'message:new';
  for (const { socket } of sockets) {
    socket.on(event, (m: { id?: string; clientId?: string }) => {
      const id = (mode === 'relay' ? m.id : m.clientId)!;
      const t = sentAt.get(id);
      if (t === undefined) return;
      sentAt.delete(id);
      latencies.push(performance.now() - t);
    });
  }
}

async function drive(rate: number, durationMs: number, drainMs: number): Promise<DriveResult> {
  sentAt.clear();
  latencies = [];
  let sent = 0;
  let errors = 0;
  let unanswered = 0;
  const total = Math.floor((durationMs / 1000) * rate);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const onAck = (r: { ok?: boolean }) => {
    unanswered--;
    if (mode === 'product' && !r?.ok) errors++;
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // A busy loop here must not turn into a catch-up burst past the total.
      const due = Math.min(Math.floor(((performance.now() - start) / 1000) * rate), total);
      while (sent < due) {
        const { socket, groupId } = sockets[sent % sockets.length]!;
        const id = randomUUID().replace(/-/g, '');
        sentAt.set(id, performance.now());
        unanswered++;
        if (mode === 'relay') socket.emit('send', { id, body: BODY }, onAck);
        else socket.emit('message:send', { groupId, clientId: id, body: BODY }, onAck);
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const elapsed = performance.now() - start;
  const until = performance.now() + drainMs;
  while (sentAt.size > 0 && performance.now() < until) await sleep(20);
  const cpu = process.cpuUsage(cpu0);
  // What came back in time; later arrivals are lost for this step.
  const sorted = [...latencies].sort((a, b) => a - b);
  const result = {
    sent,
    received: sorted.length,
    lost: sent - sorted.length,
    errors,
    p50: round(pct(sorted, 50)),
    p90: round(pct(sorted, 90)),
    p99: round(pct(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
    achieved: Math.round(sent / (elapsed / 1000)),
    clientCpu: Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - start)) * 100),
  };
  // They must not weigh on the next step either: wait until the server has answered every send
  // (or 120 s).
  const quiet = performance.now() + 120_000;
  while (unanswered > 0 && performance.now() < quiet) await sleep(20);
  return { ...result, unanswered };
}

process.on('message', (request: LoadRequest) => {
  void (async () => {
    try {
      if (request.type === 'connect') {
        mode = request.mode;
        await connectAll(request.url, request.specs);
        reply({ ok: true, connected: sockets.length });
      } else if (request.type === 'drive') {
        reply({ ok: true, result: await drive(request.rate, request.durationMs, request.drainMs) });
      } else {
        for (const { socket } of sockets) socket.disconnect();
        sockets = [];
        reply({ ok: true });
        process.disconnect();
      }
    } catch (err) {
      reply({ ok: false, error: String((err as Error)?.stack ?? err) });
    }
  })();
});
