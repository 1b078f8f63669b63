/**
 * Resume: a guest's page is offline while an internal user sends `missed` messages to its group
 * over `offlineMs`; then it reconnects and resumes exactly as web/src/chat/useChat.ts does
 * (`chat:join` with the resume point, again while `hasMore`). The figure is the time from the
 * reconnect (a new socket) to having every missed message, median of a few reconnects from the
 * same point. The server runs in its own process.
 */
import { randomUUID } from 'node:crypto';
import type { MessageDto } from '@chatpro/common';
import type { Socket } from 'socket.io-client';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { mergeMessages, resumePoint } from '../web/src/chat/useChat.ts';
import { benchServer, pct, round, sleep, socketWithCookie, withDatabase, type Engine, type Figure } from './lib.ts';

const cookieOf = (c: TestClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
const cid = () => randomUUID().replace(/-/g, '');

interface JoinAck {
  ok: boolean;
  group: { id: string } | null;
  messages: MessageDto[];
  hasMore: boolean;
  remap?: { id: string; seq: number }[];
  error?: { message: string };
}

/** useChat's join(): pages until the server says there is no more. Answers the merged list and the pages asked. */
async function join(socket: Socket, where: object, known: MessageDto[]): Promise<{ messages: MessageDto[]; pages: number }> {
  let messages = known;
  let sinceSeq = resumePoint(messages);
  for (let pages = 1; ; pages++) {
    const res = (await socket.timeout(120_000).emitWithAck('chat:join', { ...where, sinceSeq })) as JoinAck;
    if (!res.ok) throw new Error(`chat:join refused: ${res.error?.message}`);
    messages = mergeMessages(messages, res.messages, res.remap);
    if (!res.hasMore || res.messages.length === 0) return { messages, pages };
    sinceSeq = resumePoint(messages);
  }
}

export async function measureResume(engine: Engine, opts: { missed: number; offlineMs: number; reconnects: number }): Promise<Figure[]> {
  return withDatabase(
    engine,
    async (db) => {
      const org = await makeOrg(db);
      const user = await makeUser(db, org, { name: 'Daniele Pezzini' });
      const ctx = await makeContext(db, user, { subject: 'Resume bench' });
      return { user, ctx };
    },
    async ({ url }, { user, ctx }) => {
      const server = await benchServer(url);
      const sockets: Socket[] = [];
      try {
        const internal = new TestClient(server.url);
        await internal.signIn('internal', user.email);
        const { body: link } = await internal.post<{ token: string }>(`/api/contexts/${ctx.id}/links`, {});
        const guest = new TestClient(server.url);
        await guest.signIn('external', 'resume@guest.test', { name: 'Ospite Resume' });
        const guestSocket = await socketWithCookie(server.url, cookieOf(guest), 'external');
        sockets.push(guestSocket);
        const first = await guestSocket.timeout(10_000).emitWithAck('message:send', { linkToken: link.token, clientId: cid(), body: 'Buongiorno' });
        const groupId = (first as { message: MessageDto }).message.groupId;
        const where = { linkToken: link.token };
        const { messages: before } = await join(guestSocket, where, []);
        const internalSocket = await socketWithCookie(server.url, cookieOf(internal), 'internal');
        sockets.push(internalSocket);
        await internalSocket.timeout(10_000).emitWithAck('chat:join', { groupId, sinceSeq: 0 });

        // Offline: the missed messages go out through the real send path, spread over the time.
        guestSocket.disconnect();
        const offlineStart = performance.now();
        const acks: Promise<unknown>[] = [];
        for (let i = 0; i < opts.missed; i++) {
          const due = offlineStart + (i / opts.missed) * opts.offlineMs * 0.9;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
          acks.push(internalSocket.timeout(180_000).emitWithAck('message:send', { groupId, clientId: cid(), body: `Messaggio ${i + 1}: la consegna è prevista per domani mattina.` }));
        }
        const answers = (await Promise.all(acks)) as { ok: boolean; error?: { code: string; message: string } }[];
        const refused = answers.find((a) => !a.ok);
        if (refused) throw new Error(`a message sent while the guest was offline was refused: ${refused.error?.code} ${refused.error?.message}`);
        const rest = offlineStart + opts.offlineMs - performance.now();
        if (rest > 0) await sleep(rest);

        const times: number[] = [];
        let pages = 0;
        for (let r = 0; r < opts.reconnects; r++) {
          const start = performance.now();
          const s = await socketWithCookie(server.url, cookieOf(guest), 'external');
          const resumed = await join(s, where, before);
          const ms = performance.now() - start;
          s.disconnect();
          const missed = resumed.messages.length - before.length;
          if (missed !== opts.missed) throw new Error(`resume got ${missed} of ${opts.missed} missed messages`);
          // (The view is in time order; concurrent sends may commit in another order than their times.)
          const seqs = resumed.messages.map((m) => m.seq).sort((a, b) => a - b);
          if (seqs.some((q, i) => q !== i + 1)) throw new Error('resume left a gap or a duplicate');
          times.push(ms);
          pages = resumed.pages;
          await sleep(200);
        }
        const sorted = [...times].sort((a, b) => a - b);
        const median = round(pct(sorted, 50));
        return [
          {
            engine,
            measure: `resume: ${opts.missed} missed after ${opts.offlineMs / 1000} s offline`,
            value: median,
            unit: 'ms',
            target: '≤ 250 ms',
            pass: median <= 250,
            detail: `reconnect → all missed messages, median of ${opts.reconnects} (${sorted.map((t) => round(t)).join(', ')} ms), ${pages} chat:join page(s)`,
          },
        ];
      } finally {
        for (const s of sockets) s.disconnect();
        await server.kill();
      }
    },
  );
}
