/**
 * Who a verified OpenID identity is: an internal user of an organisation (by a known identity,
 * by email, by the organisation's email domain or by an invitation), or an external user.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { externalUsers, invitations, organisations, userIdentities, users } from '../db/schema.ts';
import { AppError } from '../http/errors.ts';

export interface VerifiedIdentity {
  provider: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  name: string;
}

export async function resolveInternalUser(db: Db, identity: VerifiedIdentity): Promise<{ id: string }> {
  const [known] = await db
    .select({ id: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.provider, identity.provider), eq(userIdentities.subject, identity.subject)));
  if (known) return known;
  if (!identity.emailVerified) {
    throw new AppError(403, 'not_a_member', 'This account has no verified email address');
  }
  const email = identity.email.toLowerCase();
  return db.transaction(async (tx) => {
    let [user] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (!user) {
      const domain = email.split('@')[1] ?? '';
      const [org] = await tx
        .select({ id: organisations.id })
        .from(organisations)
        .where(sql`${domain} = any(${organisations.domains})`)
        .limit(1);
      let orgId = org?.id;
      if (!orgId) {
        const [invitation] = await tx
          .update(invitations)
          .set({ acceptedAt: new Date() })
          .where(and(eq(invitations.email, email), isNull(invitations.acceptedAt)))
          .returning({ orgId: invitations.orgId });
        orgId = invitation?.orgId;
      }
      if (!orgId) {
        throw new AppError(403, 'not_a_member', `${email} is not a member of any organisation on this ChatPro`);
      }
      [user] = await tx
        .insert(users)
        .values({ orgId, email, name: identity.name || email })
        .returning({ id: users.id });
    }
    await tx
      .insert(userIdentities)
      .values({ provider: identity.provider, subject: identity.subject, userId: user!.id })
      .onConflictDoNothing();
    return { id: user!.id };
  });
}

export async function upsertExternalUser(db: Db, identity: VerifiedIdentity): Promise<{ id: string }> {
  const email = identity.email.toLowerCase();
  // Apple sends the name only at the first sign-in: a later sign-in without one keeps it.
  const named = Boolean(identity.name) && identity.name !== identity.email;
  const [row] = await db
    .insert(externalUsers)
    .values({ provider: identity.provider, subject: identity.subject, email, name: named ? identity.name : email })
    .onConflictDoUpdate({
      target: [externalUsers.provider, externalUsers.subject],
      set: { email, ...(named ? { name: identity.name } : {}), lastSeenAt: new Date() },
    })
    .returning({ id: externalUsers.id });
  return row!;
}
