/** UI strings: Italian by default, English available. Keys are shared by every client. */
export const LOCALES = ['it', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const it = {
  'product.name': 'ChatPro',
  'action.manageChat': 'Gestisci chat',
  'action.activateExternal': 'Attiva conversazione esterna',
  'action.createGroup': 'Crea gruppo',
  'action.goToChat': 'Vai a chat',
  'action.goToBody': 'Vai a corpo messaggio',
  'action.export': 'Esporta',
  'action.logout': 'Logout',
  'action.discuss': 'Clicca qui per discuterne',
  'signIn.title': 'Accedi per partecipare alla conversazione',
  'signIn.with': 'Accedi con {provider}',
  'link.invalid': 'Link non valido',
  'link.closed': 'Chat chiusa',
} as const;

export type MessageKey = keyof typeof it;

const en: Record<MessageKey, string> = {
  'product.name': 'ChatPro',
  'action.manageChat': 'Manage chat',
  'action.activateExternal': 'Start external conversation',
  'action.createGroup': 'Create group',
  'action.goToChat': 'Go to chat',
  'action.goToBody': 'Go to message body',
  'action.export': 'Export',
  'action.logout': 'Log out',
  'action.discuss': 'Click here to discuss it',
  'signIn.title': 'Sign in to join the conversation',
  'signIn.with': 'Sign in with {provider}',
  'link.invalid': 'Invalid link',
  'link.closed': 'Chat closed',
};

const catalogs: Record<Locale, Record<MessageKey, string>> = { it, en };

/** Translates a key, filling `{name}` placeholders. Unknown locales fall back to Italian. */
export function t(locale: string, key: MessageKey, params: Record<string, string> = {}): string {
  const catalog = catalogs[(LOCALES as readonly string[]).includes(locale) ? (locale as Locale) : 'it'];
  return catalog[key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `{${name}}`);
}
