/** The one `Office.onReady` of each page: every caller awaits the same promise. */
let ready: Promise<Office.HostType | null> | null = null;

export function officeReady(): Promise<Office.HostType | null> {
  ready ??= Office.onReady().then((info) => info.host ?? null);
  return ready;
}
