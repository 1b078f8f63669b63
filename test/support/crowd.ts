/**
 * People for the fault and scale tests, signed in for real through the development provider:
 * internal users who all view one context, and guests who each opened their own group through
 * the context's link (their first message, seq 1).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Db } from '@chatpro/server';
import { TestClient } from '../../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser } from '../../server/src/testing/factories.ts';
import { ask, connectSocket } from '../../server/src/testing/socket.ts';

/** A client-made message id. */
export const cid = () => randomUUID().replace(/-/g, '');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items`, `width` at a time. */
export async function inBatches<T, R>(items: T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export interface Internal {
  id: string;
  email: string;
  client: TestClient;
}

export interface Guest {
  id: string;
  email: string;
  client: TestClient;
  /** The guest's own group, opened by their first message. */
  groupId: string;
}

export interface Crowd {
  orgId: string;
  contextId: string;
  linkToken: string;
  internals: Internal[];
  guests: Guest[];
}

/**
 * `internals` viewers of one context (at least one: the first made the link) and `guests` who each
 * wrote "Buongiorno" through its link. Everyone signs in on `url`.
 */
export async function makeCrowd(server: { url: string; database: { db: Db } }, counts: { internals: number; guests: number }): Promise<Crowd> {
  const db = server.database.db;
  const org = await makeOrg(db);
  const users = await inBatches(Array.from({ length: Math.max(1, counts.internals) }), 8, (_, i) => makeUser(db, org, { name: `Interno ${i}` }));
  const ctx = await makeContext(db, users[0]!, { kind: 'email', subject: 'Preventivo' }, users.map((u) => u.id));
  const internals = await inBatches(users, 8, async (u) => {
    const client = new TestClient(server.url);
    await client.signIn('internal', u.email);
    return { id: u.id, email: u.email, client };
  });
  const { status, body: link } = await internals[0]!.client.post(`/api/contexts/${ctx.id}/links`, {});
  expect(status, JSON.stringify(link)).to.equal(201);
  const guests = await inBatches(Array.from({ length: counts.guests }), 8, async (_, i) => {
    const email = `guest-${i}-${cid().slice(0, 8)}@customer.test`;
    const client = new TestClient(server.url);
    await client.signIn('external', email, { name: `Ospite ${i}` });
    const socket = await connectSocket(client, 'external');
    try {
      const first = await ask(socket, 'message:send', { linkToken: (link as { token: string }).token, clientId: cid(), body: 'Buongiorno' }, 30_000);
      expect(first.ok, JSON.stringify(first)).to.equal(true);
      return { id: first.message.author.id as string, email, client, groupId: first.message.groupId as string };
    } finally {
      socket.disconnect();
    }
  });
  return { orgId: org.id, contextId: ctx.id, linkToken: (link as { token: string }).token, internals, guests };
}
