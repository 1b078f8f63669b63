/**
 * Load generator for the idle-socket measurement, in a process of its own so that the server's
 * RSS is the server's alone. Reads from stdin `{ url, clients: [{ cookie, groupId }] }` (ChatPro:
 * each socket signs in with its session cookie and joins its group with `chat:join`) or
 * `{ url, count }` (the bare relay: `auth.i` picks the room). Opens the first fifth of the
 * sockets, prints `first <connected> <failed>`, waits for SIGUSR1, opens the rest, prints
 * `ready <connected> <failed>`, and then holds them, idle, until killed. (Two steps: the server's
 * memory is compared between them, past whatever free heap it had at the start.)
 */
import { io as connect, type Socket } from 'socket.io-client';

interface Input {
  url: string;
  clients?: { cookie: string; groupId: string }[];
  count?: number;
}

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const input = JSON.parse(Buffer.concat(chunks).toString()) as Input;
const total = input.clients?.length ?? input.count ?? 0;
const sockets: Socket[] = [];
let failed = 0;

async function open(i: number): Promise<void> {
  const client = input.clients?.[i];
  const s = connect(input.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(client ? { extraHeaders: { cookie: client.cookie }, auth: { as: 'external' } } : { auth: { i } }),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    if (client) {
      const res = (await s.timeout(60_000).emitWithAck('chat:join', { groupId: client.groupId, sinceSeq: 0 })) as { ok: boolean };
      if (!res.ok) throw new Error('chat:join refused');
    }
    sockets.push(s);
  } catch {
    failed++;
    s.disconnect();
  }
}

const CONCURRENCY = 100;
let nextIndex = 0;
const openUpTo = (end: number) =>
  Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, end - nextIndex) }, async () => {
      while (nextIndex < end) await open(nextIndex++);
    }),
  );
const go = new Promise<void>((resolve) => process.once('SIGUSR1', () => resolve()));
await openUpTo(Math.floor(total / 5));
process.stdout.write(`first ${sockets.length} ${failed}\n`);
await go;
await openUpTo(total);
process.stdout.write(`ready ${sockets.length} ${failed}\n`);
setInterval(() => {}, 1 << 30);
