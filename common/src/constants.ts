/** Domain constants shared by the server and every client. */

export const CONTEXT_KINDS = ['email', 'note', 'event'] as const;
export type ContextKind = (typeof CONTEXT_KINDS)[number];

/** Default lifetime of a ChatPro link opened by hand on a context ("Profilo > Opzioni su chat esterna"). */
export const DEFAULT_CHAT_EXPIRY_DAYS = 30;
/** Default lifetime of a ChatPro link on a note template. */
export const DEFAULT_TEMPLATE_CHAT_EXPIRY_DAYS = 365;
/** Longest expiry a user may pick as a default: the spec's best practice mentions 20 years. */
export const MAX_EXPIRY_DAYS = 366 * 30;

export const AUDIENCES = ['internal', 'external'] as const;
export type Audience = (typeof AUDIENCES)[number];

export const PROVIDER_IDS = ['google', 'microsoft', 'apple', 'dev'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const MAX_SUBJECT_LENGTH = 500;
/** Bodies are HTML of emails; 2 MB of markup is far above any real message. */
export const MAX_BODY_HTML_LENGTH = 2_000_000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
