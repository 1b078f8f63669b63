/**
 * The whole product model of DESIGN.md. Migrations in server/drizzle are generated from this
 * file by drizzle-kit and serve both PGlite and PostgreSQL.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const id = () => uuid('id').primaryKey().defaultRandom();

export const contextKind = pgEnum('context_kind', ['email', 'note', 'event']);
export const groupKind = pgEnum('group_kind', ['public', 'internal', 'external']);
export const authorKind = pgEnum('author_kind', ['internal', 'external', 'system']);
export const notificationKind = pgEnum('notification_kind', ['message', 'access']);

export const organisations = pgTable('organisations', {
  id: id(),
  name: text('name').notNull(),
  /** Email domains whose Google/Microsoft accounts join this organisation on first sign-in. */
  domains: text('domains').array().notNull().default(sql`'{}'::text[]`),
  createdAt: createdAt(),
});

export const users = pgTable(
  'users',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** Profilo > Opzioni su chat esterna. */
    chatExpiryDays: integer('chat_expiry_days').notNull().default(30),
    templateChatExpiryDays: integer('template_chat_expiry_days').notNull().default(365),
    locale: text('locale').notNull().default('it'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email), index('users_org_idx').on(t.orgId)],
);

export const invitations = pgTable(
  'invitations',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
  },
  (t) => [index('invitations_email_idx').on(t.email)],
);

/** Links an internal user to the identity (provider + subject) they sign in with. */
export const userIdentities = pgTable(
  'user_identities',
  {
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.subject] })],
);

export const noteTemplates = pgTable(
  'note_templates',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    subject: text('subject').notNull(),
    bodyHtml: text('body_html').notNull().default(''),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('note_templates_org_idx').on(t.orgId)],
);

export const contexts = pgTable(
  'contexts',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    kind: contextKind('kind').notNull(),
    subject: text('subject').notNull(),
    bodyHtml: text('body_html').notNull().default(''),
    // email fields
    emailFrom: text('email_from'),
    emailTo: text('email_to').array(),
    emailCc: text('email_cc').array(),
    // event fields
    eventStart: timestamp('event_start', { withTimezone: true }),
    eventEnd: timestamp('event_end', { withTimezone: true }),
    eventTimeZone: text('event_time_zone'),
    eventLocation: text('event_location'),
    eventInvite: boolean('event_invite'),
    eventAttendees: text('event_attendees').array(),
    /** The template a note was created from (template links). */
    templateId: uuid('template_id').references(() => noteTemplates.id, { onDelete: 'set null' }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Newest message or change; orders the message list. */
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('contexts_org_activity_idx').on(t.orgId, t.lastActivityAt.desc(), t.id)],
);

export const contextViewers = pgTable(
  'context_viewers',
  {
    contextId: uuid('context_id')
      .notNull()
      .references(() => contexts.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.contextId, t.userId] }), index('context_viewers_user_idx').on(t.userId)],
);

export const externalUsers = pgTable(
  'external_users',
  {
    id: id(),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    locale: text('locale').notNull().default('it'),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('external_users_identity_key').on(t.provider, t.subject)],
);

/** A ChatPro link ("configurazione Chat Pro"): on a context or on a note template, never both. */
export const chatLinks = pgTable(
  'chat_links',
  {
    id: id(),
    token: text('token').notNull(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    contextId: uuid('context_id').references(() => contexts.id, { onDelete: 'cascade' }),
    templateId: uuid('template_id').references(() => noteTemplates.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    showBody: boolean('show_body').notNull().default(false),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('chat_links_token_key').on(t.token),
    index('chat_links_context_idx').on(t.contextId),
    index('chat_links_template_idx').on(t.templateId),
    check('chat_links_one_owner', sql`(${t.contextId} is null) <> (${t.templateId} is null)`),
  ],
);

/** Internal users notified by a link; none listed means every viewer of the context. */
export const chatLinkNotify = pgTable(
  'chat_link_notify',
  {
    linkId: uuid('link_id')
      .notNull()
      .references(() => chatLinks.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.linkId, t.userId] })],
);

export const groups = pgTable(
  'groups',
  {
    id: id(),
    contextId: uuid('context_id')
      .notNull()
      .references(() => contexts.id, { onDelete: 'cascade' }),
    kind: groupKind('kind').notNull(),
    name: text('name').notNull().default(''),
    /** The link through which an external group was opened. */
    linkId: uuid('link_id').references(() => chatLinks.id, { onDelete: 'set null' }),
    /** Highest sequence number given to a message of this group. */
    lastSeq: integer('last_seq').notNull().default(0),
    /** Set when this group was merged into another one. */
    mergedInto: uuid('merged_into'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('groups_context_idx').on(t.contextId),
    uniqueIndex('groups_one_public_key').on(t.contextId).where(sql`${t.kind} = 'public'`),
  ],
);

export const groupMembers = pgTable(
  'group_members',
  {
    id: id(),
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    externalUserId: uuid('external_user_id').references(() => externalUsers.id, { onDelete: 'cascade' }),
    /** For an external member: the link they came through, whose expiry decides if they may write. */
    linkId: uuid('link_id').references(() => chatLinks.id, { onDelete: 'set null' }),
    /** Last sequence number this member has read (read state). */
    lastReadSeq: integer('last_read_seq').notNull().default(0),
    /** An external member who unsubscribed from this group's offline emails. */
    emailOptOut: boolean('email_opt_out').notNull().default(false),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('group_members_user_key').on(t.groupId, t.userId).where(sql`${t.userId} is not null`),
    uniqueIndex('group_members_external_key').on(t.groupId, t.externalUserId).where(sql`${t.externalUserId} is not null`),
    index('group_members_external_idx').on(t.externalUserId),
    check('group_members_one_member', sql`(${t.userId} is null) <> (${t.externalUserId} is null)`),
  ],
);

/**
 * The offline email of each guest of each group: a pending email (due_at set) batches the
 * messages the guest has not seen; the row stays after sending to space the next one out.
 * Kept in the database so that a restart does not lose it and several processes share it.
 */
export const guestEmailQueue = pgTable(
  'guest_email_queue',
  {
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    externalUserId: uuid('external_user_id')
      .notNull()
      .references(() => externalUsers.id, { onDelete: 'cascade' }),
    /** When the pending email is due; null when nothing is pending. */
    dueAt: timestamp('due_at', { withTimezone: true }),
    /** When the pending email was asked for: each new message pushes `due_at` back, up to a limit from here. */
    pendingSince: timestamp('pending_since', { withTimezone: true }),
    /** First and last sequence numbers that asked for the pending email. */
    firstSeq: integer('first_seq'),
    lastSeq: integer('last_seq').notNull().default(0),
    /** Highest sequence number an email (or the guest's reading) has covered. */
    sentSeq: integer('sent_seq').notNull().default(0),
    lastSentAt: timestamp('last_sent_at', { withTimezone: true }),
    /** A worker's claim: who holds the row and until when (a crashed worker's claim lapses). */
    claimId: uuid('claim_id'),
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.externalUserId] }), index('guest_email_queue_due_idx').on(t.dueAt)],
);

/** First sign-in of an external user through a link ("notifica accesso"). */
export const linkAccesses = pgTable(
  'link_accesses',
  {
    linkId: uuid('link_id')
      .notNull()
      .references(() => chatLinks.id, { onDelete: 'cascade' }),
    externalUserId: uuid('external_user_id')
      .notNull()
      .references(() => externalUsers.id, { onDelete: 'cascade' }),
    firstAt: timestamp('first_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.linkId, t.externalUserId] })],
);

export const messages = pgTable(
  'messages',
  {
    id: id(),
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    /** Made by the sending client so that a retried send never makes a duplicate. */
    clientId: text('client_id').notNull(),
    authorKind: authorKind('author_kind').notNull(),
    authorUserId: uuid('author_user_id').references(() => users.id, { onDelete: 'set null' }),
    authorExternalId: uuid('author_external_id').references(() => externalUsers.id, { onDelete: 'set null' }),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('messages_group_seq_key').on(t.groupId, t.seq),
    uniqueIndex('messages_group_client_key').on(t.groupId, t.clientId),
    index('messages_group_created_idx').on(t.groupId, t.createdAt),
  ],
);

/**
 * Where a message sat before a merge moved it: a client that knew a merged group up to seq N
 * resumes with exactly the messages it lacks.
 */
export const messageSeqHistory = pgTable(
  'message_seq_history',
  {
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    groupId: uuid('group_id').notNull(),
    seq: integer('seq').notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.seq] })],
);

/** Files of a context or of a chat message; the bytes live in attachment_chunks. */
export const attachments = pgTable(
  'attachments',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    contextId: uuid('context_id').references(() => contexts.id, { onDelete: 'cascade' }),
    templateId: uuid('template_id').references(() => noteTemplates.id, { onDelete: 'cascade' }),
    messageId: uuid('message_id').references(() => messages.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull().default(0),
    sha256: text('sha256'),
    /** Order among the files of one message or upload. */
    position: integer('position').notNull().default(0),
    /** False while the bytes are still streaming in; incomplete uploads are never served. */
    complete: boolean('complete').notNull().default(false),
    uploadedByUserId: uuid('uploaded_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    uploadedByExternalId: uuid('uploaded_by_external_id').references(() => externalUsers.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('attachments_context_idx').on(t.contextId), index('attachments_message_idx').on(t.messageId)],
);

export const attachmentChunks = pgTable(
  'attachment_chunks',
  {
    attachmentId: uuid('attachment_id')
      .notNull()
      .references(() => attachments.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.attachmentId, t.seq] })],
);

export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: notificationKind('kind').notNull(),
    contextId: uuid('context_id')
      .notNull()
      .references(() => contexts.id, { onDelete: 'cascade' }),
    groupId: uuid('group_id').references(() => groups.id, { onDelete: 'cascade' }),
    messageId: uuid('message_id').references(() => messages.id, { onDelete: 'cascade' }),
    linkId: uuid('link_id').references(() => chatLinks.id, { onDelete: 'set null' }),
    externalUserId: uuid('external_user_id').references(() => externalUsers.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.createdAt.desc())],
);

/** Who changed which setting of a link; mirrored as a system message in the public discussion. */
export const auditEntries = pgTable(
  'audit_entries',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    contextId: uuid('context_id').references(() => contexts.id, { onDelete: 'cascade' }),
    templateId: uuid('template_id').references(() => noteTemplates.id, { onDelete: 'cascade' }),
    linkId: uuid('link_id').references(() => chatLinks.id, { onDelete: 'set null' }),
    actorUserId: uuid('actor_user_id').references(() => users.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    changes: jsonb('changes').notNull().default({}),
    messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('audit_entries_context_idx').on(t.contextId)],
);

export const sessions = pgTable(
  'sessions',
  {
    sid: text('sid').primaryKey(),
    data: jsonb('data').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_expires_idx').on(t.expiresAt)],
);

/** An OpenID Connect sign-in in flight, keyed by its state (survives Apple's cross-site form_post). */
export const authTransactions = pgTable('auth_transactions', {
  state: text('state').primaryKey(),
  provider: text('provider').notNull(),
  audience: text('audience').notNull(),
  codeVerifier: text('code_verifier').notNull(),
  nonce: text('nonce').notNull(),
  /** Hash of the browser-binding cookie, so a callback URL cannot be replayed in another browser. */
  bindingHash: text('binding_hash').notNull(),
  returnTo: text('return_to').notNull(),
  linkToken: text('link_token'),
  createdAt: createdAt(),
});

/**
 * Gmail add-on: the email context an internal user made from Gmail, per Gmail key
 * (`draft:<id>`, `thread:<id>`, `message:<id>`; Gmail's ids are per mailbox, hence per user),
 * so that inserting the button again in the same draft reuses the same context and link.
 */
export const gmailAddonEmails = pgTable(
  'gmail_addon_emails',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    gmailKey: text('gmail_key').notNull(),
    contextId: uuid('context_id')
      .notNull()
      .references(() => contexts.id, { onDelete: 'cascade' }),
    linkId: uuid('link_id')
      .notNull()
      .references(() => chatLinks.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.gmailKey] })],
);

/**
 * Browser extension: a revocable bearer token per signed-in extension. Only the SHA-256 of the
 * token is kept, so a database leak does not leak usable tokens.
 */
export const extensionTokens = pgTable(
  'extension_tokens',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    name: text('name').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('extension_tokens_hash_key').on(t.tokenHash), index('extension_tokens_user_idx').on(t.userId)],
);

/**
 * Payloads of `@socket.io/postgres-adapter` too big (or binary) for a NOTIFY: the adapter inserts
 * them here and notifies the row id; every process deletes rows older than its cleanup interval.
 * Same shape as the adapter's documented DDL, made by a migration so that every process finds it.
 */
export const socketIoAttachments = pgTable('socket_io_attachments', {
  id: bigserial('id', { mode: 'number' }).unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).defaultNow(),
  payload: bytea('payload'),
});
