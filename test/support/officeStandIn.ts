/**
 * A stand-in for Office.js, served by tests at Microsoft's office.js URL (Playwright route), so
 * that the add-in's real pages run in Chromium as inside Outlook: a mail item with a body, roaming
 * settings, and the dialog API, whose dialog is a real popup window on the server's origin.
 */
export interface StandInItem {
  subject: string;
  bodyHtml: string;
  bodyText: string;
}

export const OFFICE_JS_URL = 'https://appsforoffice.microsoft.com/lib/1/hosted/office.js';

export function officeStandInScript(item: StandInItem | null): string {
  return `(() => {
  const item = ${JSON.stringify(item)};
  const ok = (value) => ({ status: 'succeeded', value });
  const lastArg = (args) => args.reverse().find((a) => typeof a === 'function');
  const settings = {};
  const Office = {
    AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
    CoercionType: { Html: 'html', Text: 'text' },
    EventType: { DialogMessageReceived: 'dialogMessageReceived', DialogEventReceived: 'dialogEventReceived', ItemChanged: 'olkItemSelectedChanged' },
    HostType: { Outlook: 'Outlook' },
    MailboxEnums: { ItemNotificationMessageType: { ErrorMessage: 'errorMessage', InformationalMessage: 'informationalMessage' } },
    onReady(callback) {
      const info = { host: 'Outlook', platform: 'OfficeOnline' };
      if (callback) setTimeout(() => callback(info));
      return Promise.resolve(info);
    },
    actions: { associate(name, fn) { (window.__officeActions = window.__officeActions || {})[name] = fn; } },
    context: {
      mailbox: {
        item: item && {
          itemType: 'message',
          subject: item.subject,
          body: {
            getAsync(coercion, ...rest) {
              lastArg(rest)(ok(coercion === 'html' ? item.bodyHtml : item.bodyText));
            },
          },
        },
        addHandlerAsync(_type, _handler, ...rest) {
          const cb = lastArg(rest);
          if (cb) cb(ok());
        },
      },
      roamingSettings: {
        get: (key) => settings[key],
        set: (key, value) => { settings[key] = value; },
        remove: (key) => { delete settings[key]; },
        saveAsync: (cb) => { if (cb) cb(ok()); },
      },
      ui: {
        displayDialogAsync(url, ...rest) {
          const cb = lastArg(rest);
          const win = window.open(url, 'office-dialog', 'popup,width=480,height=640');
          if (!win) return cb({ status: 'failed', error: { code: 12009, message: 'The dialog was blocked' } });
          const handlers = {};
          let closedByAddin = false;
          const onMessage = (e) => {
            if (e.source !== win || e.origin !== location.origin || !e.data || typeof e.data.officeDialogMessage !== 'string') return;
            if (handlers.dialogMessageReceived) handlers.dialogMessageReceived({ message: e.data.officeDialogMessage, origin: e.origin });
          };
          window.addEventListener('message', onMessage);
          const watch = setInterval(() => {
            if (!win.closed) return;
            clearInterval(watch);
            window.removeEventListener('message', onMessage);
            if (!closedByAddin && handlers.dialogEventReceived) handlers.dialogEventReceived({ error: 12006 });
          }, 200);
          cb(ok({
            addEventHandler(type, handler) { handlers[type] = handler; },
            close() { closedByAddin = true; win.close(); },
            messageChild() {},
          }));
        },
        messageParent(message) {
          window.opener.postMessage({ officeDialogMessage: message }, location.origin);
        },
      },
    },
  };
  window.Office = Office;
})();`;
}
