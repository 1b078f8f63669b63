/**
 * kill -9 of the server during a burst: 50 socket clients send 10,000 messages with ids of their
 * own to a server in a process of its own; it dies a third of the way through and starts again.
 * The clients reconnect, resume every group from the end of what they have, and send again
 * whatever was not acknowledged, with the same ids. Every message ends up stored once, with the
 * seq it was acknowledged with, each guest's message notified the group's internal member once,
 * and every member has every message of its groups, once.
 * FAULTS_DEBUG=1 prints the progress every 2 s.
 */
import { expect } from 'chai';
import { inArray } from 'drizzle-orm';
import { openDatabase, schema, type Database } from '@chatpro/server';
import { ChatMember, type Msg, type Outgoing } from '../server/src/testing/chatMember.ts';
import { spawnServer, type ChildServer } from '../server/src/testing/childServer.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';
import { cid, makeCrowd } from './support/crowd.ts';

/** Ten teams, each an internal user and four guests with a group each: 50 clients, 40 groups. */
const TEAMS = 10;
const GUESTS_PER_TEAM = 4;
const MESSAGES = 10_000;
/** Sends each client keeps in flight. */
const WINDOW = 4;
const KILL_AT = 3_000;

describeEngines('crash of the server process', (engine) => {
  if (engine.engine !== 'postgres') return;

  it('loses and doubles nothing when the server is killed (-9) during a burst of 10,000 messages from 50 clients', async function () {
    this.timeout(300_000);
    const database = engine.options();
    const url = (database as { url: string }).url;
    let child: ChildServer | undefined;
    let db: Database | undefined;
    const members: ChatMember[] = [];
    try {
      // Made on a server here, which then stops: the burst goes to the child alone.
      const setup = await startTestServer(database);
      const teams = await Promise.all(Array.from({ length: TEAMS }, () => makeCrowd(setup, { internals: 1, guests: GUESTS_PER_TEAM })));
      await setup.close();
      db = await openDatabase(database);
      child = await spawnServer(url);
      const port = new URL(child.url).port;
      for (const [t, team] of teams.entries()) {
        const teamGroups = team.guests.map((g) => g.groupId);
        members.push(new ChatMember(`internal ${t}`, team.internals[0]!.client, child.url, teamGroups, 'internal'));
        for (const [i, g] of team.guests.entries()) members.push(new ChatMember(`guest ${t}.${i}`, g.client, child.url, [g.groupId], 'external'));
      }
      const groupIds = teams.flatMap((team) => team.guests.map((g) => g.groupId));
      for (const m of members) {
        m.autoReconnect = true;
        await m.connect();
      }

      // Each client's share of the burst: guests to their group, internal users round the groups.
      const share = MESSAGES / members.length;
      const outbox = members.map((m, i) =>
        Array.from({ length: share }, (_, k): Outgoing => ({ groupId: m.groupIds[(i + k) % m.groupIds.length]!, clientId: cid(), body: `${m.name} ${k}` })),
      );
      const acked: Msg[] = [];
      let ackedBeforeKill: Msg[] = [];
      let killedAt = 0;
      let restartedAt = 0;
      const start = Date.now();
      const deadline = start + 240_000;
      const progress = process.env.FAULTS_DEBUG ? setInterval(() => console.log(Date.now() - start, acked.length, killedAt, restartedAt, members.filter((m) => m.connected).length, members.reduce((n, m) => n + m.retries, 0)), 2000) : undefined;
      const restart = (async () => {
        while (!killedAt) await new Promise((r) => setTimeout(r, 5));
        await child!.kill();
        child = await spawnServer(url, {}, { serverEnv: { PORT: port } });
        restartedAt = Date.now();
      })();
      await Promise.all(
        members.map((member, i) =>
          Promise.all(
            Array.from({ length: WINDOW }, async (_, w) => {
              for (let k = w; k < share; k += WINDOW) {
                acked.push(await member.sendUntilAcked(outbox[i]![k]!, deadline));
                if (acked.length === KILL_AT && !killedAt) {
                  killedAt = Date.now();
                  ackedBeforeKill = [...acked];
                  child!.child.kill('SIGKILL');
                }
              }
            }),
          ),
        ),
      );
      await restart;
      clearInterval(progress);
      const allAcked = Date.now();

      // Stored: each message once, with the seq its acknowledgement gave.
      const sent = outbox.flat();
      const rows = await db.db.select().from(schema.messages).where(inArray(schema.messages.groupId, groupIds));
      const ours = rows.filter((r) => r.body !== 'Buongiorno');
      expect(ours, 'rows of the burst').to.have.length(MESSAGES);
      expect(new Set(ours.map((r) => r.clientId)).size, 'distinct client ids stored').to.equal(MESSAGES);
      expect(new Set(ours.map((r) => r.clientId))).to.deep.equal(new Set(sent.map((m) => m.clientId)));
      const stored = new Map(ours.map((r) => [r.clientId, r]));
      for (const m of acked) expect(stored.get(m.clientId)?.seq, m.clientId).to.equal(m.seq);
      expect(ackedBeforeKill).to.have.length(KILL_AT);
      for (const m of ackedBeforeKill) expect(stored.get(m.clientId)?.groupId).to.equal(m.groupId);
      // Notified: each guest's message once per internal member of its group (one in each), those
      // acknowledged just before the kill too; nobody for an internal user's message.
      const notes = await db.db.select({ messageId: schema.notifications.messageId }).from(schema.notifications).where(inArray(schema.notifications.groupId, groupIds));
      const perMessage = new Map<string, number>();
      for (const n of notes) if (n.messageId) perMessage.set(n.messageId, (perMessage.get(n.messageId) ?? 0) + 1);
      const fromGuests = ours.filter((r) => r.authorKind === 'external');
      expect(fromGuests.length).to.equal(MESSAGES * (GUESTS_PER_TEAM / (GUESTS_PER_TEAM + 1)));
      expect(fromGuests.filter((r) => perMessage.get(r.id) !== 1).map((r) => r.clientId), 'guest messages without exactly one notification').to.deep.equal([]);
      expect(ours.filter((r) => r.authorKind === 'internal' && perMessage.has(r.id)).map((r) => r.clientId), 'internal messages notified').to.deep.equal([]);
      // Every group numbered 1..n without a hole.
      const byGroup = new Map<string, typeof rows>();
      for (const r of rows) byGroup.set(r.groupId, [...(byGroup.get(r.groupId) ?? []), r]);
      for (const list of byGroup.values()) {
        list.sort((x, y) => x.seq - y.seq);
        expect(list.map((r) => r.seq)).to.deep.equal(list.map((_, i) => i + 1));
      }

      // Delivered: every member has every message of each of its groups, each once.
      const caughtUpStart = Date.now();
      const upTo = new Map([...byGroup].map(([g, list]) => [g, list.length]));
      await Promise.all(members.map((m) => m.caughtUp(upTo, 60_000)));
      const caughtUpMs = Date.now() - caughtUpStart;
      let deliveries = 0;
      for (const m of members) {
        expect(m.conflicts, m.name).to.deep.equal([]);
        expect(m.failures, m.name).to.deep.equal([]);
        expect(m.reconnections, `${m.name} reconnected`).to.be.greaterThan(0);
        for (const g of m.groupIds) {
          const have = [...m.seen.get(g)!.values()].sort((x, y) => x.seq - y.seq);
          expect(have.map((x) => x.clientId), `${m.name} in ${g}`).to.deep.equal(byGroup.get(g)!.map((r) => r.clientId));
          deliveries += have.length;
        }
      }
      const retried = members.reduce((n, m) => n + m.retries, 0);
      const ratePerS = Math.round((KILL_AT / (killedAt - start)) * 1000);
      console.log(
        `figure: crash (kill -9) at ${KILL_AT}/${MESSAGES} acknowledged, ${members.length} clients in ${groupIds.length} groups: ` +
          `server back in ${restartedAt - killedAt} ms, all ${MESSAGES} acknowledged ${allAcked - killedAt} ms after the kill (${ratePerS} msg/s before it); ` +
          `${retried} sends retried with their client id; stored exactly once: ${MESSAGES}/${MESSAGES}; ` +
          `delivered exactly once: ${deliveries} member×message pairs, 0 missing, 0 doubled (last catch-up ${caughtUpMs} ms)`,
      );
    } finally {
      for (const m of members) {
        m.autoReconnect = false;
        m.disconnect();
      }
      await child?.kill();
      await db?.close();
    }
  });
});
