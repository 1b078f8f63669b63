/** Fixture factories: rows made straight in the database, each with sensible unique defaults. */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { TestClient } from './client.ts';
import { contexts, contextViewers, groups, invitations, messages, noteTemplates, organisations, users } from '../db/schema.ts';

const unique = () => randomBytes(4).toString('hex');

export async function makeOrg(db: Db, overrides: Partial<typeof organisations.$inferInsert> = {}) {
  const suffix = unique();
  const [org] = await db
    .insert(organisations)
    .values({ name: `Org ${suffix}`, domains: [`org-${suffix}.test`], ...overrides })
    .returning();
  return org!;
}

export async function makeUser(db: Db, org: { id: string; domains: string[] }, overrides: Partial<typeof users.$inferInsert> = {}) {
  const suffix = unique();
  const [user] = await db
    .insert(users)
    .values({ orgId: org.id, email: `user-${suffix}@${org.domains[0] ?? 'example.test'}`, name: `User ${suffix}`, ...overrides })
    .returning();
  return user!;
}

export async function makeContext(
  db: Db,
  owner: { id: string; orgId: string },
  overrides: Partial<typeof contexts.$inferInsert> = {},
  viewerIds: string[] = [owner.id],
) {
  const [context] = await db
    .insert(contexts)
    .values({ orgId: owner.orgId, kind: 'note', subject: `Note ${unique()}`, bodyHtml: '<p>Body</p>', createdBy: owner.id, ...overrides })
    .returning();
  await db.insert(contextViewers).values(viewerIds.map((userId) => ({ contextId: context!.id, userId })));
  return context!;
}

export async function makeTemplate(db: Db, owner: { id: string; orgId: string }) {
  const [t] = await db
    .insert(noteTemplates)
    .values({ orgId: owner.orgId, name: `Template ${unique()}`, subject: 'Richiesta da sito', createdBy: owner.id })
    .returning();
  return t!;
}

export async function makeInvitation(db: Db, org: { id: string }, email: string) {
  const [row] = await db.insert(invitations).values({ orgId: org.id, email }).returning();
  return row!;
}

/**
 * The people most tests need, signed in for real through the development provider: two viewers
 * (Piero, Daniele), a member of the same organisation who views nothing (Outsider) and a member
 * of another organisation (Foreigner).
 */
export async function makeCast(server: { url: string; database: { db: Db } }, orgOverrides: Partial<typeof organisations.$inferInsert> = {}) {
  const db = server.database.db;
  const org = await makeOrg(db, orgOverrides);
  const piero = await makeUser(db, org, { name: 'Piero Fanti' });
  const daniele = await makeUser(db, org, { name: 'Daniele Pezzini' });
  const outsider = await makeUser(db, org, { name: 'Outsider' });
  const foreigner = await makeUser(db, await makeOrg(db), { name: 'Foreigner' });
  const signedIn = async (email: string) => {
    const client = new TestClient(server.url);
    await client.signIn('internal', email);
    return client;
  };
  return {
    org,
    piero,
    daniele,
    outsider,
    foreigner,
    asPiero: await signedIn(piero.email),
    asDaniele: await signedIn(daniele.email),
    asOutsider: await signedIn(outsider.email),
    asForeigner: await signedIn(foreigner.email),
  };
}

/**
 * `count` messages of an internal user in a group, numbered 1…count (a thousand a statement), and
 * the group's last number set to match; answers their ids in order. For a group with a long past.
 */
export async function seedMessages(db: Db, group: { id: string }, author: { id: string }, count: number, body: (n: number) => string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1000) {
    const rows = await db
      .insert(messages)
      .values(
        Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({
          groupId: group.id,
          seq: i + j + 1,
          clientId: `seed-${i + j}`,
          authorKind: 'internal' as const,
          authorUserId: author.id,
          body: body(i + j + 1),
        })),
      )
      .returning({ id: messages.id });
    ids.push(...rows.map((r) => r.id));
  }
  await db.update(groups).set({ lastSeq: count }).where(eq(groups.id, group.id));
  return ids;
}
