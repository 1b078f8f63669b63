/** Card text: Italian by default, English when Gmail's locale is English. */
import type { CardLocale } from '../events.ts';

const it = {
  'homepage.text': 'Apri un’email per vedere la sua conversazione ChatPro.',
  'conversation.empty': 'Ancora nessun messaggio: scrivi il primo.',
  'conversation.expires': 'Chat attiva fino al {date}',
  'conversation.closed': 'Chat chiusa',
  'conversation.closedNotice': 'Questa chat è chiusa: il link è scaduto il {date}. Puoi leggere i messaggi ma non scriverne di nuovi.',
  'conversation.attachments': 'Allegati: {names}',
  'conversation.you': 'Tu',
  'input.label': 'Messaggio',
  'action.send': 'Invia',
  'action.openFull': 'Apri chat completa',
  'action.refresh': 'Aggiorna',
  'action.start': 'Avvia chat su questa email',
  'action.insertButton': 'Inserisci "{label}"',
  'noLink.title': 'Nessuna chat ChatPro',
  'noLink.text': 'Questa email non contiene un link ChatPro.',
  'noLink.internal': 'Puoi avviare una chat su questa email: i destinatari la apriranno dal link.',
  'linkInvalid.text': 'Il link ChatPro di questa email non è valido.',
  'forbidden.text': 'Non sei tra i visualizzatori di questa conversazione in ChatPro.',
  'internalOnly.text': 'Solo i membri di un’organizzazione ChatPro possono farlo.',
  'compose.text': 'Inserisci nella bozza il pulsante che apre una chat ChatPro su questa email.',
  'notice.emptyMessage': 'Scrivi un messaggio prima di premere Invia.',
  'notice.sent': 'Messaggio inviato',
  'notice.started': 'Chat avviata',
  'notice.readFailed': 'Non è stato possibile leggere questa email. Riprova tra poco.',
  'notice.error': 'Qualcosa è andato storto. Riprova tra poco.',
  'email.noSubject': '(senza oggetto)',
};

export type StringKey = keyof typeof it;

const en: Record<StringKey, string> = {
  'homepage.text': 'Open an email to see its ChatPro conversation.',
  'conversation.empty': 'No messages yet: write the first one.',
  'conversation.expires': 'Chat open until {date}',
  'conversation.closed': 'Chat closed',
  'conversation.closedNotice': 'This chat is closed: the link expired on {date}. You can read the messages but not write new ones.',
  'conversation.attachments': 'Attachments: {names}',
  'conversation.you': 'You',
  'input.label': 'Message',
  'action.send': 'Send',
  'action.openFull': 'Open full chat',
  'action.refresh': 'Refresh',
  'action.start': 'Start a chat on this email',
  'action.insertButton': 'Insert "{label}"',
  'noLink.title': 'No ChatPro chat',
  'noLink.text': 'This email has no ChatPro link.',
  'noLink.internal': 'You can start a chat on this email: its recipients open it from the link.',
  'linkInvalid.text': 'The ChatPro link in this email is not valid.',
  'forbidden.text': 'You are not a viewer of this conversation in ChatPro.',
  'internalOnly.text': 'Only members of a ChatPro organisation can do this.',
  'compose.text': 'Insert into the draft the button that opens a ChatPro chat on this email.',
  'notice.emptyMessage': 'Write a message before pressing Send.',
  'notice.sent': 'Message sent',
  'notice.started': 'Chat started',
  'notice.readFailed': 'This email could not be read. Try again shortly.',
  'notice.error': 'Something went wrong. Try again shortly.',
  'email.noSubject': '(no subject)',
};

export function s(locale: CardLocale, key: StringKey, params: Record<string, string> = {}): string {
  return (locale === 'en' ? en : it)[key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `{${name}}`);
}
