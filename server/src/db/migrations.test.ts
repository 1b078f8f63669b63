import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { describeEngines } from '../testing/engines.ts';
import { openDatabase } from './index.ts';

const TABLES = [
  'attachment_chunks', 'attachments', 'audit_entries', 'auth_transactions', 'chat_link_notify', 'chat_links',
  'context_viewers', 'contexts', 'external_users', 'group_members', 'groups', 'guest_email_queue', 'invitations', 'messages',
  'note_templates', 'notifications', 'organisations', 'sessions', 'user_identities', 'users',
];

describeEngines('migrations', (engine) => {
  it('apply on a fresh database, and again without change', async () => {
    const first = await openDatabase(engine.options());
    try {
      const result = await first.db.execute<{ table_name: string }>(
        sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
      );
      const rows = (result as unknown as { rows: { table_name: string }[] }).rows;
      expect(rows.map((r) => r.table_name)).to.include.members(TABLES);
      expect(await first.ping()).to.equal(true);
    } finally {
      await first.close();
    }
    if (engine.engine === 'postgres') {
      // A restart finds the migrations applied and changes nothing.
      const second = await openDatabase(engine.options());
      await second.close();
    }
    expect(await first.ping()).to.equal(false);
  });

  it('refuses a second public discussion in one context and a link owned by both a context and a template', async () => {
    const database = await openDatabase(engine.options());
    try {
      const { db } = database;
      const { schema } = await import('./index.ts');
      const [org] = await db.insert(schema.organisations).values({ name: 'O' }).returning();
      const [ctx] = await db.insert(schema.contexts).values({ orgId: org!.id, kind: 'note', subject: 's' }).returning();
      const [tpl] = await db.insert(schema.noteTemplates).values({ orgId: org!.id, name: 't', subject: 's' }).returning();
      await db.insert(schema.groups).values({ contextId: ctx!.id, kind: 'public' });
      let failed = false;
      await db.insert(schema.groups).values({ contextId: ctx!.id, kind: 'public' }).catch(() => (failed = true));
      expect(failed, 'second public group').to.equal(true);
      failed = false;
      await db
        .insert(schema.chatLinks)
        .values({ token: 'x'.repeat(22), orgId: org!.id, contextId: ctx!.id, templateId: tpl!.id, subject: 's', expiresAt: new Date() })
        .catch(() => (failed = true));
      expect(failed, 'link with two owners').to.equal(true);
    } finally {
      await database.close();
    }
  });
});
