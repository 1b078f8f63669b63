/**
 * Cross-process delivery: two ChatPro processes on one PostgreSQL (the postgres adapter between
 * them). `pairs` guests send through process A at `rate` msg/s in all; each message is timed from
 * the guest's send to the `message:new` received by the internal user of that group, connected
 * first to A (one process) and then to B (across processes). Figure: p99 across ÷ p99 within.
 * PGlite is one process: nothing to measure there.
 */
import { randomUUID } from 'node:crypto';
import type { MessageDto } from '@chatpro/common';
import type { Socket } from 'socket.io-client';
import { TestClient } from '../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { benchServer, pct, round, sleep, socketWithCookie, withDatabase, type Figure } from './lib.ts';

const cookieOf = (c: TestClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
const cid = () => randomUUID().replace(/-/g, '');

interface Pair {
  groupId: string;
  guest: Socket;
  internal: TestClient;
}

/** Sends `rate` msg/s round-robin over the pairs for `ms`; answers the sorted latencies and the count lost. */
async function drive(pairs: Pair[], receivers: Socket[], rate: number, ms: number): Promise<{ sorted: number[]; lost: number; sent: number }> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const listener = (m: MessageDto) => {
    const t = sentAt.get(m.clientId);
    if (t === undefined) return;
    sentAt.delete(m.clientId);
    latencies.push(performance.now() - t);
  };
  for (const r of receivers) r.on('message:new', listener);
  const total = Math.round((rate * ms) / 1000);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) {
      const pair = pairs[sent % pairs.length]!;
      const id = cid();
      sentAt.set(id, performance.now());
      pair.guest.emit('message:send', { groupId: pair.groupId, clientId: id, body: 'Buongiorno, avrei una domanda sulla consegna' }, () => {});
    }
    await sleep(2);
  }
  const until = performance.now() + 5000;
  while (sentAt.size > 0 && performance.now() < until) await sleep(20);
  for (const r of receivers) r.off('message:new', listener);
  return { sorted: latencies.sort((a, b) => a - b), lost: sentAt.size, sent };
}

export async function measureCrossProcess(opts: { pairs: number; rate: number; durationMs: number }): Promise<Figure[]> {
  return withDatabase(
    'postgres',
    async (db) => {
      const org = await makeOrg(db);
      const people = [];
      for (let i = 0; i < opts.pairs; i++) {
        const user = await makeUser(db, org);
        people.push({ user, ctx: await makeContext(db, user, { subject: `Cross ${i}` }) });
      }
      return people;
    },
    async ({ url }, people) => {
      const a = await benchServer(url);
      const b = await benchServer(url);
      const sockets: Socket[] = [];
      try {
        const pairs: Pair[] = [];
        for (const [i, p] of people.entries()) {
          const internal = new TestClient(a.url);
          await internal.signIn('internal', p.user.email);
          const { body: link } = await internal.post<{ token: string }>(`/api/contexts/${p.ctx.id}/links`, {});
          const guestClient = new TestClient(a.url);
          await guestClient.signIn('external', `cross-${i}@guest.test`, { name: `Ospite ${i}` });
          const guest = await socketWithCookie(a.url, cookieOf(guestClient), 'external');
          sockets.push(guest);
          const first = (await guest.timeout(10_000).emitWithAck('message:send', { linkToken: link.token, clientId: cid(), body: 'Ciao' })) as { message: MessageDto };
          pairs.push({ groupId: first.message.groupId, guest, internal });
        }
        const connectReceivers = async (serverUrl: string) => {
          const receivers: Socket[] = [];
          for (const p of pairs) {
            const s = await socketWithCookie(serverUrl, cookieOf(p.internal), 'internal');
            await s.timeout(10_000).emitWithAck('chat:join', { groupId: p.groupId, sinceSeq: 0 });
            receivers.push(s);
            sockets.push(s);
          }
          return receivers;
        };
        // A short warm-up on each path, then the measured runs.
        const within = await connectReceivers(a.url);
        await drive(pairs, within, opts.rate, 500);
        const one = await drive(pairs, within, opts.rate, opts.durationMs);
        for (const s of within) s.disconnect();
        const across = await connectReceivers(b.url);
        await drive(pairs, across, opts.rate, 500);
        const two = await drive(pairs, across, opts.rate, opts.durationMs);
        const p99 = (r: { sorted: number[] }) => round(pct(r.sorted, 99));
        const p50 = (r: { sorted: number[] }) => round(pct(r.sorted, 50));
        const ratio = p99(two) / p99(one);
        return [
          {
            engine: 'postgres',
            measure: `cross-process delivery at ${opts.rate} msg/s: p99 vs one process`,
            value: round(ratio, 2),
            unit: '×',
            target: '≤ 2× single-process',
            pass: ratio <= 2 && one.lost === 0 && two.lost === 0,
            detail: `${opts.pairs} guest→internal pairs, ${opts.durationMs / 1000} s each; one process p50 ${p50(one)} / p99 ${p99(one)} ms (${one.sent} sent, ${one.lost} lost), across two p50 ${p50(two)} / p99 ${p99(two)} ms (${two.sent} sent, ${two.lost} lost)`,
          },
        ];
      } finally {
        for (const s of sockets) s.disconnect();
        await a.kill();
        await b.kill();
      }
    },
  );
}
