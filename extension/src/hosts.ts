/** The host pages the content script runs on: Gmail and Outlook on the web. */
export const GMAIL_MATCHES = ['https://mail.google.com/*'];
export const OUTLOOK_MATCHES = ['https://outlook.office.com/*', 'https://outlook.office365.com/*', 'https://outlook.live.com/*'];
export const MAIL_MATCHES = [...GMAIL_MATCHES, ...OUTLOOK_MATCHES];

export const isGmail = (host: string) => host === 'mail.google.com';
export const isOutlook = (host: string) => host === 'outlook.office.com' || host === 'outlook.office365.com' || host === 'outlook.live.com';
