/**
 * Office.js stand-ins for unit tests, built with office-addin-mock: the enums the add-in reads and
 * a mail item whose async calls succeed, or fail (`AsyncResultStatus.Failed`) where a test says.
 */
import { OfficeApp } from 'office-addin-manifest';
import { OfficeMockObject } from 'office-addin-mock';

type Callback = (result: { status: string; value?: unknown; error?: { code: number; message: string } }) => void;

export const OFFICE_ENUMS = {
  AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
  CoercionType: { Html: 'html', Text: 'text' },
  EventType: { DialogMessageReceived: 'dialogMessageReceived', DialogEventReceived: 'dialogEventReceived', ItemChanged: 'olkItemSelectedChanged' },
  MailboxEnums: { ItemNotificationMessageType: { ErrorMessage: 'errorMessage', InformationalMessage: 'informationalMessage' } },
};

/** Installs `Office` as a global (what office.js does in a page) and answers it. */
export function installOffice(data: Record<string, unknown> = {}): any {
  // Outlook's model has no load()/sync(): values are readable at once.
  const office = new OfficeMockObject({ ...OFFICE_ENUMS, ...data }, OfficeApp.Outlook) as any;
  (globalThis as Record<string, unknown>).Office = office;
  return office;
}

export function uninstallOffice(): void {
  delete (globalThis as Record<string, unknown>).Office;
}

export interface ItemOptions {
  bodyType?: 'html' | 'text';
  html?: string;
  text?: string;
  subject?: string;
  /** Custom properties already saved on the draft. */
  properties?: Record<string, string>;
  /** Calls that answer `Failed`. */
  fail?: string[];
}

/** Records of what the add-in did to the item. */
export interface ItemLog {
  inserted: { data: string; coercionType: string }[];
  notifications: { key: string; type: string; message: string }[];
  saved: Record<string, string> | null;
}

/** A compose or read item for `Office.context.mailbox.item`, and the log of what was done to it. */
export function mailItem(opts: ItemOptions = {}): { item: Record<string, unknown>; log: ItemLog } {
  const fail = new Set(opts.fail ?? []);
  const log: ItemLog = { inserted: [], notifications: [], saved: null };
  const answer = (name: string, cb: Callback, value?: unknown) =>
    fail.has(name) ? cb({ status: 'failed', error: { code: 9002, message: `${name} failed` } }) : cb({ status: 'succeeded', value });
  const props = new Map(Object.entries(opts.properties ?? {}));
  const customProperties = {
    get: (key: string) => props.get(key),
    set: (key: string, value: string) => props.set(key, value),
    remove: (key: string) => props.delete(key),
    saveAsync: (cb: Callback) => {
      if (!fail.has('saveAsync')) log.saved = Object.fromEntries(props);
      answer('saveAsync', cb);
    },
  };
  const item = {
    subject: {
      getAsync: (cb: Callback) => answer('subject.getAsync', cb, opts.subject ?? ''),
    },
    body: {
      getAsync: (coercion: string, cb: Callback) => answer('body.getAsync', cb, coercion === 'html' ? (opts.html ?? '') : (opts.text ?? '')),
      getTypeAsync: (cb: Callback) => answer('getTypeAsync', cb, opts.bodyType ?? 'html'),
      setSelectedDataAsync: (data: string, options: { coercionType: string }, cb: Callback) => {
        if (!fail.has('setSelectedDataAsync')) log.inserted.push({ data, coercionType: options.coercionType });
        answer('setSelectedDataAsync', cb);
      },
    },
    loadCustomPropertiesAsync: (cb: Callback) => answer('loadCustomPropertiesAsync', cb, customProperties),
    notificationMessages: {
      replaceAsync: (key: string, details: { type: string; message: string }, cb: Callback) => {
        log.notifications.push({ key, type: details.type, message: details.message });
        answer('replaceAsync', cb);
      },
    },
  };
  return { item, log };
}

/** A command event that counts its `completed` calls. */
export function commandEvent(): { completed: () => void; calls: number } {
  const event = {
    calls: 0,
    completed() {
      event.calls++;
    },
  };
  return event;
}
