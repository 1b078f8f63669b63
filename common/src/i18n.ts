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
  'link.invalidHelp': 'Il link che hai aperto non esiste o è stato copiato in modo incompleto. Chiedi a chi te lo ha inviato di mandartene uno nuovo.',
  'link.closedHelp': 'La conversazione è chiusa: puoi leggere i messaggi ma non scriverne di nuovi.',
  'signIn.intro': '{org} ti invita a discutere di:',
  'signIn.privacy': 'Non serve creare un account: usa un account che hai già.',
  'menu.open': 'Menu',
  'menu.language': 'English',
  'chat.placeholder': 'Scrivi un messaggio…',
  'chat.send': 'Invia',
  'chat.attach': 'Allega file',
  'chat.dropHere': 'Rilascia qui i file da allegare',
  'chat.empty': 'Nessun messaggio ancora. Scrivi il primo: il team ti risponderà qui.',
  'chat.sending': 'invio…',
  'chat.failed': 'non inviato · riprova',
  'chat.typing': '{name} sta scrivendo…',
  'chat.read': 'Letto',
  'chat.offline': 'Connessione persa: i messaggi verranno inviati appena torna la rete.',
  'chat.tooLarge': 'Il file {name} supera il limite consentito.',
  'chat.you': 'Tu',
  'body.title': 'Dettagli del messaggio',
  'body.attachments': 'Allegati',
  'body.hidden': 'Il corpo del messaggio non è condiviso.',
  'chat.title': 'Conversazione',
  'signedInAs': 'Accesso come {name}',
  'error.generic': 'Qualcosa è andato storto. Riprova.',
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
  'link.invalidHelp': 'The link you opened does not exist or was copied incompletely. Ask whoever sent it for a new one.',
  'link.closedHelp': 'This conversation is closed: you can read the messages but not write new ones.',
  'signIn.intro': '{org} invites you to discuss:',
  'signIn.privacy': 'No account to create: use one you already have.',
  'menu.open': 'Menu',
  'menu.language': 'Italiano',
  'chat.placeholder': 'Write a message…',
  'chat.send': 'Send',
  'chat.attach': 'Attach files',
  'chat.dropHere': 'Drop files here to attach them',
  'chat.empty': 'No messages yet. Write the first one: the team will answer here.',
  'chat.sending': 'sending…',
  'chat.failed': 'not sent · retry',
  'chat.typing': '{name} is typing…',
  'chat.read': 'Read',
  'chat.offline': 'Connection lost: your messages will be sent as soon as the network is back.',
  'chat.tooLarge': 'The file {name} is larger than allowed.',
  'chat.you': 'You',
  'body.title': 'Message details',
  'body.attachments': 'Attachments',
  'body.hidden': 'The message body is not shared.',
  'chat.title': 'Conversation',
  'signedInAs': 'Signed in as {name}',
  'error.generic': 'Something went wrong. Please try again.',
};

const catalogs: Record<Locale, Record<MessageKey, string>> = { it, en };

/** Translates a key, filling `{name}` placeholders. Unknown locales fall back to Italian. */
export function t(locale: string, key: MessageKey, params: Record<string, string> = {}): string {
  const catalog = catalogs[(LOCALES as readonly string[]).includes(locale) ? (locale as Locale) : 'it'];
  return catalog[key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `{${name}}`);
}
