/**
 * The database stops for ten seconds under load and starts again. Two server processes (one here,
 * one a child) keep running on a private PostgreSQL cluster that the test stops and starts (the
 * shared one serves other suites). Meanwhile: /healthz says 503, sends get a clear
 * `database_unavailable` answer in bounded time, HTTP requests 503 rather than 500; afterwards
 * nothing acknowledged is lost or doubled, and everything works again without a restart:
 * sessions, live delivery across the processes (the adapter's LISTEN connection), the offline
 * email worker.
 */
import { expect } from 'chai';
import { and, eq } from 'drizzle-orm';
import { schema, type RunningServer } from '@chatpro/server';
import { ChatMember, type Msg, type Outgoing } from '../server/src/testing/chatMember.ts';
import { spawnServer, type ChildServer } from '../server/src/testing/childServer.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { startPgCluster, type PgCluster } from '../server/src/testing/pgCluster.ts';
import { startSmtpRelay, type SmtpRelay } from '../server/src/testing/smtpRelay.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';
import { cid, makeCrowd, sleep } from './support/crowd.ts';

const OUTAGE_MS = 10_000;

interface Health {
  at: number;
  status: number;
  code?: string;
  ms: number;
}

/** Polls /healthz every 200 ms until stopped, recording each answer (or a failure to answer). */
function watchHealth(url: string) {
  const seen: Health[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
        const body = (await res.json()) as { error?: { code: string } };
        seen.push({ at, status: res.status, code: body.error?.code, ms: Date.now() - at });
      } catch {
        seen.push({ at, status: 0, ms: Date.now() - at });
      }
      await sleep(200);
    }
  })();
  return {
    seen,
    last: () => seen.at(-1),
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
  return Date.now() - start;
}

interface Attempt {
  m: Outgoing;
  code: string;
  ms: number;
  at: number;
}

/** Sends one message every `every` ms (one at a time), keeping what was acknowledged and what was not. */
function steadySender(member: ChatMember, groupId: string, every: number) {
  const acked: Msg[] = [];
  const refused: Attempt[] = [];
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      const m = { groupId, clientId: cid(), body: `${member.name} ${n++}` };
      const at = Date.now();
      const res = await member.sendOnce(m, 15_000);
      if (res.ok) acked.push(res.message);
      else refused.push({ m, code: res.code, ms: Date.now() - at, at });
      await sleep(every);
    }
  })();
  return {
    acked,
    refused,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('database outage [postgres, private cluster]', function () {
  this.timeout(240_000);
  let cluster: PgCluster | undefined;
  let relay: SmtpRelay | undefined;
  let a: RunningServer | undefined;
  let b: ChildServer | undefined;
  const members: ChatMember[] = [];

  after(async () => {
    for (const m of members) m.disconnect();
    await b?.kill();
    await a?.close();
    await relay?.close();
    await cluster?.destroy();
  });

  it('stays up, says so (503, database_unavailable), loses nothing acknowledged, and recovers without a restart', async () => {
    cluster = await startPgCluster();
    relay = await startSmtpRelay();
    const config = {
      SMTP_URL: relay.url,
      MAIL_SECRET: 'mail-secret-for-the-tests-0123456789abcdef',
      GUEST_EMAIL_DELAY_MS: '200',
      GUEST_EMAIL_INTERVAL_MS: '0',
      MAIL_WORKER_POLL_MS: '100',
    };
    const database = { kind: 'postgres' as const, url: cluster.url };
    a = await startTestServer(database, config);
    b = await spawnServer(cluster.url, {}, { serverEnv: config });
    const crowd = await makeCrowd(a, { internals: 1, guests: 1 });
    const [piero] = crowd.internals;
    const [guest] = crowd.guests;
    const groupId = guest!.groupId;
    // Piero on this process, the guest on the child: every message crosses between them.
    const pieroMember = new ChatMember('piero', piero!.client, a.url, [groupId], 'internal');
    const guestMember = new ChatMember('guest', guest!.client, b.url, [groupId], 'external');
    members.push(pieroMember, guestMember);
    for (const m of members) {
      m.autoReconnect = true;
      await m.connect();
    }
    const health = { a: watchHealth(a.url), b: watchHealth(b.url) };
    const senders = [steadySender(guestMember, groupId, 100), steadySender(pieroMember, groupId, 150)];
    const http: { status: number; code?: string; during: boolean }[] = [];

    await sleep(2_000);
    const stoppedAt = Date.now();
    await cluster.stop();
    const downIn = await until('both /healthz to say 503', 10_000, () =>
      [health.a, health.b].every((h) => h.seen.some((s) => s.at >= stoppedAt && s.status === 503 && s.code === 'database_unavailable')),
    );
    // HTTP while it is down: signed-in requests need the session (in the database): 503, not 500.
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      for (const [client, url] of [
        [piero!.client, a.url],
        [guest!.client, b.url],
      ] as const) {
        const res = await client.via(url).get('/api/me');
        http.push({ status: res.status, code: (res.body as { error?: { code: string } }).error?.code, during: true });
      }
      await sleep(500);
    }
    const startedAt = Date.now();
    await cluster.start();
    const upIn = await until('both /healthz to say ok', 30_000, () => [health.a, health.b].every((h) => h.seen.some((s) => s.at >= startedAt && s.status === 200)));
    await sleep(3_000);
    for (const s of senders) await s.stop();
    await Promise.all([health.a.stop(), health.b.stop()]);

    // Both processes are still the same ones.
    expect(b.child.exitCode, 'the child server is still running').to.equal(null);
    expect(b.child.signalCode).to.equal(null);

    // /healthz: 503 with the code while down, ok before and after, always answering within its bound.
    for (const h of [health.a, health.b]) {
      const during = h.seen.filter((s) => s.at > stoppedAt + 2_000 && s.at < startedAt);
      expect(during.length).to.be.greaterThan(0);
      for (const s of during) expect(s, JSON.stringify(s)).to.deep.include({ status: 503, code: 'database_unavailable' });
      for (const s of h.seen) expect(s.status, JSON.stringify(s)).to.be.oneOf([200, 503]);
      expect(Math.max(...h.seen.map((s) => s.ms)), 'slowest /healthz (ms)').to.be.lessThan(5_000);
      expect(h.last()!.status).to.equal(200);
    }
    // HTTP during the outage: 503 database_unavailable, never a 500.
    expect(http.length).to.be.greaterThan(0);
    for (const r of http) expect(r, JSON.stringify(r)).to.deep.include({ status: 503, code: 'database_unavailable' });

    // Sends during the outage: a clear refusal, in bounded time; none went unanswered.
    const refused = senders.flatMap((s) => s.refused);
    const acked = senders.flatMap((s) => s.acked);
    expect(refused.length, 'sends refused while the database was down').to.be.greaterThan(0);
    for (const r of refused) expect(r.code, JSON.stringify(r)).to.equal('database_unavailable');
    const slowestRefusal = Math.max(...refused.map((r) => r.ms));
    expect(slowestRefusal, 'slowest refusal (ms)').to.be.lessThan(10_000);
    const ackedUnderLoad = acked.length;

    // Live delivery across the processes again: the child's LISTEN connection came back.
    const crossIn = await until('a message from the child to reach this process live', 30_000, async () => {
      const probe = { groupId, clientId: cid(), body: `probe ${Date.now()}` };
      const sent = await guestMember.sendOnce(probe);
      if (!sent.ok) return false;
      acked.push(sent.message);
      return hasWithin(pieroMember, sent.message.seq, 1_000);
    });
    const reverse = await pieroMember.sendUntilAcked({ groupId, clientId: cid(), body: 'di nuovo qui' }, Date.now() + 20_000);
    acked.push(reverse);
    await guestMember.caughtUp(new Map([[groupId, reverse.seq]]), 10_000);

    // The app's outbox: what was refused goes again with the same client id, once each.
    for (const r of refused) {
      const member = r.m.body.startsWith('guest') ? guestMember : pieroMember;
      acked.push(await member.sendUntilAcked(r.m, Date.now() + 20_000));
    }
    const rows = await a.database.db.select().from(schema.messages).where(eq(schema.messages.groupId, groupId)).orderBy(schema.messages.seq);
    const byClientId = new Map(rows.map((r) => [r.clientId, r]));
    expect(byClientId.size, 'no client id stored twice').to.equal(rows.length);
    expect(rows.map((r) => r.seq)).to.deep.equal(rows.map((_, i) => i + 1));
    for (const m of acked) expect(byClientId.get(m.clientId)?.seq, `acknowledged ${m.clientId}`).to.equal(m.seq);
    expect(rows.length).to.equal(1 + acked.length);
    // Each side has every message, once (live, or by resuming from the end of its run).
    const last = rows.at(-1)!.seq;
    for (const m of members) {
      await m.caughtUp(new Map([[groupId, last]]), 15_000);
      expect(m.conflicts, m.name).to.deep.equal([]);
      expect(m.failures, m.name).to.deep.equal([]);
      expect([...m.seen.get(groupId)!.values()].sort((x, y) => x.seq - y.seq).map((x) => x.clientId)).to.deep.equal(rows.map((r) => r.clientId));
    }

    // Sessions: the old ones still work on both processes, and a new sign-in does.
    for (const url of [a.url, b.url]) expect((await piero!.client.via(url).get<{ kind: string }>('/api/me')).body.kind).to.equal('internal');
    const newcomer = new TestClient(b.url);
    await newcomer.signIn('internal', piero!.email);
    const me = await newcomer.get<{ kind: string; user?: { email: string } }>('/api/me');
    expect(me.body.kind, me.text).to.equal('internal');
    expect(me.body.user?.email).to.equal(piero!.email);

    // The offline email worker: the guest leaves, Piero writes, an email goes out.
    const mailsBefore = relay.to(guest!.email).length;
    guestMember.autoReconnect = false;
    guestMember.disconnect();
    await sleep(300);
    const body = `Le scrivo dopo il guasto ${cid().slice(0, 6)}`;
    expect((await pieroMember.sendOnce({ groupId, clientId: cid(), body })).ok).to.equal(true);
    const mails = await relay.waitFor(guest!.email, mailsBefore + 1, 30_000);
    expect(mails.some((m) => (m.parsed.text ?? '').includes(body)), 'the email carries the new message').to.equal(true);

    const stored = await a.database.db.select({ id: schema.messages.id }).from(schema.messages).where(and(eq(schema.messages.groupId, groupId), eq(schema.messages.body, body)));
    expect(stored).to.have.length(1);
    console.log(
      `figure: database outage ${OUTAGE_MS / 1000} s under load (2 processes): /healthz 503 within ${downIn} ms of the stop, ok ${upIn} ms after the start; ` +
        `${refused.length} sends refused with database_unavailable (slowest answer ${slowestRefusal} ms), ${http.length} HTTP requests 503, 0 answers 500; ` +
        `${ackedUnderLoad} acknowledged under load, 0 lost, 0 duplicated; live delivery across processes back ${crossIn} ms after the probe started; sessions and offline email work without a restart`,
    );
  });
});

/** Resolves true once `member` has `seq` (it sends nothing meanwhile: it came live), false after `ms`. */
async function hasWithin(member: ChatMember, seq: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ([...member.seen.values()].some((g) => g.has(seq))) return true;
    await sleep(20);
  }
  return false;
}
