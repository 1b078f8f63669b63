/**
 * Idle guest sockets: `count` guests, each signed in (a session in the database, its cookie
 * signed with the server's secret, as a sign-in leaves it) and member of its own group through a
 * ChatPro link, connect and join their group with `chat:join`, then stay idle. The server runs in
 * a process of its own, the sockets are opened by another (bench/idleClients.ts). Figure: the
 * server's RSS per socket ((after − before) / count, garbage collected both times) compared with
 * a bare socket.io relay (bench/relayServer.ts) holding as many idle sockets the same way.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Db } from '../server/src/db/index.ts';
import { chatLinks, externalUsers, groupMembers, groups, sessions } from '../server/src/db/schema.ts';
import { SESSION_COOKIE } from '../server/src/server.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { BENCH_SESSION_SECRET, benchServer, collectGarbage, round, rssOf, sleep, spawnScript, withDatabase, type Engine, type Figure } from './lib.ts';

/** express-session's signed cookie value (cookie-signature): `s:<sid>.<hmac-sha256, base64, unpadded>`. */
function sessionCookie(sid: string): string {
  const mac = createHmac('sha256', BENCH_SESSION_SECRET).update(sid).digest('base64').replace(/=+$/, '');
  return `${SESSION_COOKIE}=${encodeURIComponent(`s:${sid}.${mac}`)}`;
}

async function seed(db: Db, count: number): Promise<{ cookie: string; groupId: string }[]> {
  const org = await makeOrg(db);
  const user = await makeUser(db, org);
  const ctx = await makeContext(db, user, { subject: 'Idle bench' });
  const [link] = await db
    .insert(chatLinks)
    .values({ token: randomBytes(24).toString('base64url'), orgId: org.id, contextId: ctx.id, subject: ctx.subject, expiresAt: new Date(Date.now() + 365 * 86400_000), createdBy: user.id })
    .returning();
  const clients: { cookie: string; groupId: string }[] = [];
  const maxAge = 14 * 24 * 3600 * 1000;
  for (let i = 0; i < count; i += 500) {
    const n = Math.min(500, count - i);
    const guests = await db
      .insert(externalUsers)
      .values(Array.from({ length: n }, (_, j) => ({ provider: 'dev', subject: randomUUID(), email: `idle-${i + j}@guest.test`, name: `Ospite ${i + j}` })))
      .returning({ id: externalUsers.id, name: externalUsers.name });
    const made = await db
      .insert(groups)
      .values(guests.map((g) => ({ contextId: ctx.id, kind: 'external' as const, name: g.name, linkId: link!.id })))
      .returning({ id: groups.id });
    await db.insert(groupMembers).values(
      made.flatMap((g, j) => [
        { groupId: g.id, userId: user.id },
        { groupId: g.id, externalUserId: guests[j]!.id, linkId: link!.id },
      ]),
    );
    const expires = new Date(Date.now() + maxAge);
    const sids = guests.map(() => randomBytes(24).toString('base64url'));
    await db.insert(sessions).values(
      guests.map((g, j) => ({
        sid: sids[j]!,
        // What a guest's sign-in stores (express-session's cookie, then the identity).
        data: { cookie: { originalMaxAge: maxAge, expires: expires.toISOString(), secure: false, httpOnly: true, path: '/', sameSite: 'lax' }, externalUserId: g.id },
        expiresAt: expires,
      })),
    );
    clients.push(...made.map((g, j) => ({ cookie: sessionCookie(sids[j]!), groupId: g.id })));
  }
  return clients;
}

/**
 * RSS per socket of `server` while the generator opens `input`'s sockets: the growth from the
 * first fifth to all of them, over the four fifths in between (garbage collected at both points).
 */
async function perSocket(server: ChildProcess, input: object, expected: number): Promise<{ perSocket: number; heapPerSocket: number; before: number; after: number }> {
  const generator = await spawnScript('idleClients.ts', [], /first (\d+) (\d+)\n/, { stdin: JSON.stringify(input), timeoutMs: 600_000 });
  try {
    const first = Number(generator.match[1]);
    await sleep(1000);
    const heapBefore = await collectGarbage(server, 1000);
    const before = rssOf(server.pid!).rss;
    const ready = new Promise<RegExpExecArray>((resolve, reject) => {
      let out = '';
      generator.child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /ready (\d+) (\d+)\n/.exec(out);
        if (m) resolve(m);
      });
      generator.child.once('exit', () => reject(new Error(`the load generator ended: ${out}`)));
    });
    generator.child.kill('SIGUSR1');
    const m = await ready;
    const connected = Number(m[1]);
    if (connected !== expected) throw new Error(`only ${connected} of ${expected} idle sockets connected (${m[2]} failed)`);
    await sleep(2000);
    const heapAfter = await collectGarbage(server, 1000);
    const after = rssOf(server.pid!).rss;
    const js = (u: NodeJS.MemoryUsage | null) => (u ? u.heapUsed + u.external : NaN);
    return { perSocket: (after - before) / (connected - first), heapPerSocket: (js(heapAfter) - js(heapBefore)) / (connected - first), before, after };
  } finally {
    await generator.stop();
  }
}

export async function measureIdle(engine: Engine, opts: { sockets: number }): Promise<Figure[]> {
  return withDatabase(
    engine,
    (db) => seed(db, opts.sockets),
    async ({ url }, clients) => {
      const server = await benchServer(url);
      let product;
      try {
        product = await perSocket(server.child, { url: server.url, clients }, opts.sockets);
      } finally {
        await server.kill();
      }
      const relay = await spawnScript('relayServer.ts', [], /listening (\S+)\n/, { nodeArgs: ['--expose-gc'] });
      let bare;
      try {
        bare = await perSocket(relay.child, { url: relay.match[1], count: opts.sockets }, opts.sockets);
      } finally {
        await relay.stop();
      }
      const ratio = product.perSocket / bare.perSocket;
      const heapRatio = product.heapPerSocket / bare.heapPerSocket;
      const kib = (b: number) => round(b / 1024, 1);
      const mib = (b: number) => round(b / 2 ** 20, 0);
      return [
        {
          engine,
          measure: `idle guest sockets (${opts.sockets}): RSS per socket vs bare relay`,
          value: round(ratio, 2),
          unit: '×',
          target: '≤ 1.2× bare relay',
          pass: ratio <= 1.2,
          detail:
            `RSS growth from ${Math.floor(opts.sockets / 5)} to ${opts.sockets} sockets: ChatPro ${kib(product.perSocket)} KiB/socket (${mib(product.before)} → ${mib(product.after)} MiB), ` +
            `bare relay ${kib(bare.perSocket)} KiB/socket (${mib(bare.before)} → ${mib(bare.after)} MiB); ` +
            `JS heap + external per socket: ChatPro ${kib(product.heapPerSocket)} KiB, relay ${kib(bare.heapPerSocket)} KiB`,
        },
        {
          // RSS moves in pages and starts with free heap of different sizes in the two processes;
          // what each socket costs in JavaScript memory is the steadier comparison.
          engine,
          measure: `idle guest sockets (${opts.sockets}): JS heap per socket vs bare relay`,
          value: round(heapRatio, 2),
          unit: '×',
          target: '≤ 1.2× bare relay',
          pass: heapRatio <= 1.2,
          detail: `heapUsed + external after GC, growth from ${Math.floor(opts.sockets / 5)} to ${opts.sockets} sockets: ChatPro ${kib(product.heapPerSocket)} KiB/socket, bare relay ${kib(bare.heapPerSocket)} KiB/socket`,
        },
      ];
    },
  );
}
