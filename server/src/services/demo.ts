/** Demo data for an empty embedded database, so that `npm start` shows a living workspace. */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { contexts, contextViewers, noteTemplates, organisations, users } from '../db/schema.ts';

export const DEMO_DOMAIN = 'tweppy-demo.test';
export const DEMO_USERS = [
  { email: `piero.fanti@${DEMO_DOMAIN}`, name: 'Piero Fanti' },
  { email: `daniele.pezzini@${DEMO_DOMAIN}`, name: 'Daniele Pezzini' },
  { email: `stefania.nardu@${DEMO_DOMAIN}`, name: 'Stefania Nardu' },
];

/** Creates the demo organisation when the database has none; answers whether it did. */
export async function seedDemoData(db: Db): Promise<boolean> {
  return db.transaction(async (tx) => {
    // Two processes starting together must not both seed.
    await tx.execute(sql`select pg_advisory_xact_lock(725001)`);
    const [existing] = await tx.select({ id: organisations.id }).from(organisations).limit(1);
    if (existing) return false;
    const [org] = await tx.insert(organisations).values({ name: 'Tweppy Demo', domains: [DEMO_DOMAIN] }).returning();
    const people = await tx
      .insert(users)
      .values(DEMO_USERS.map((u) => ({ ...u, orgId: org!.id })))
      .returning();
    const [piero, daniele, stefania] = people as [typeof people[0], typeof people[0], typeof people[0]];
    const day = 24 * 3600 * 1000;
    const now = Date.now();
    const made = await tx
      .insert(contexts)
      .values([
        {
          orgId: org!.id,
          kind: 'email',
          subject: 'Preventivo fornitura serramenti 2027',
          bodyHtml:
            '<p>Buongiorno,</p><p>in allegato trovate il preventivo per la fornitura dei serramenti del cantiere di via Roma.</p><p>Restiamo a disposizione per ogni chiarimento.</p><p>Piero Fanti<br>Ufficio acquisti</p>',
          emailFrom: piero.email,
          emailTo: ['ordini@fornitore.example'],
          emailCc: [daniele.email],
          createdBy: piero.id,
          lastActivityAt: new Date(now - 2 * 3600 * 1000),
        },
        {
          orgId: org!.id,
          kind: 'email',
          subject: 'Richiesta documentazione tecnica',
          bodyHtml: '<p>Gentile cliente,</p><p>per completare la pratica ci servono le schede tecniche dei prodotti ordinati.</p>',
          emailFrom: daniele.email,
          emailTo: ['cliente@azienda.example'],
          emailCc: [],
          createdBy: daniele.id,
          lastActivityAt: new Date(now - day),
        },
        {
          orgId: org!.id,
          kind: 'note',
          subject: 'Verbale riunione di avanzamento lavori',
          bodyHtml: '<ul><li>Consegna materiali confermata per lunedì</li><li>Verifica impianto elettrico da pianificare</li></ul>',
          createdBy: stefania.id,
          lastActivityAt: new Date(now - 3 * day),
        },
        {
          orgId: org!.id,
          kind: 'event',
          subject: 'Sopralluogo cantiere via Roma',
          bodyHtml: '<p>Sopralluogo con il direttore dei lavori e il fornitore.</p>',
          eventStart: new Date(now + 2 * day),
          eventEnd: new Date(now + 2 * day + 2 * 3600 * 1000),
          eventTimeZone: 'Europe/Rome',
          eventLocation: 'Via Roma 12, Milano',
          eventInvite: true,
          eventAttendees: ['direttore.lavori@studio.example'],
          createdBy: piero.id,
          lastActivityAt: new Date(now - 5 * day),
        },
      ])
      .returning({ id: contexts.id });
    await tx.insert(contextViewers).values(made.flatMap((c) => people.map((p) => ({ contextId: c.id, userId: p.id }))));
    await tx.insert(noteTemplates).values({
      orgId: org!.id,
      name: 'Richiesta da sito',
      subject: 'Richiesta da sito',
      bodyHtml: '<p>Nuova richiesta arrivata dal pulsante "Contattaci" del sito web.</p>',
      createdBy: piero.id,
    });
    return true;
  });
}
