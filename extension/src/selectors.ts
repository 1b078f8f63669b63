/**
 * Every selector of the host pages, in one place. Each names the page state it matches; the
 * fixture pages under test/fixtures/ copy that DOM and the end-to-end test runs against them, so
 * a change on the host breaks a test here before it breaks a user.
 */
export interface ComposeSelectors {
  /** The send button of one compose window: the control goes right after it. */
  sendButton: string;
  /** The draft body (a contenteditable the host's editor owns). */
  body: string;
  subject: string;
  /** Recipient chips of To and Cc; an address is read from data-hovercard-id, title or text. */
  toChips: string;
  ccChips: string;
  /** The host's own id of the draft, when it has one (reuses the context across reloads). */
  draftId: string | null;
  /** The subject of the thread a reply belongs to, for replies without a subject field. */
  threadSubject: string | null;
}

export const gmail: ComposeSelectors = {
  // Gmail, any compose window (new message dialog, inline reply/forward, pop-out window): the
  // blue "Invia" button in the bottom toolbar (`td.gU.Up > div > div.T-I.aoO`).
  sendButton: 'div.T-I.aoO[role="button"]',
  // Gmail compose body: `div.Am.Al.editable` with g_editable="true" (never the signature editor).
  body: 'div[contenteditable="true"][role="textbox"][g_editable="true"]',
  // Gmail compose "Oggetto" field (hidden in inline replies, where the thread subject applies).
  subject: 'input[name="subjectbox"]',
  // Gmail recipient chips in the "A" row: `div.afV` with data-hovercard-id="address".
  toChips: 'div[name="to"] [data-hovercard-id]',
  // Gmail recipient chips in the "Cc" row, once the user opened it.
  ccChips: 'div[name="cc"] [data-hovercard-id]',
  // Gmail's hidden draft id input (value "#msg-a:r…" once the draft is saved, "undefined" before).
  draftId: 'input[name="draft"]',
  // Gmail conversation view: the thread's subject heading above the messages (`h2.hP`).
  threadSubject: 'h2.hP',
};

export const outlook: ComposeSelectors = {
  // Outlook on the web (new Outlook / OWA), compose in the reading pane, a reply, or a pop-out
  // window: the primary "Invia"/"Send" button of the compose command bar.
  sendButton: 'button[aria-label="Invia"], button[aria-label="Send"]',
  // Outlook on the web compose body: the editor's contenteditable, labelled by locale.
  body: 'div[contenteditable="true"][aria-label="Corpo del messaggio"], div[contenteditable="true"][aria-label="Message body"]',
  // Outlook on the web subject input ("Aggiungi un oggetto" placeholder and label).
  subject: 'input[aria-label="Aggiungi un oggetto"], input[aria-label="Add a subject"]',
  // Outlook recipient "wells": resolved recipients are spans whose title holds the address.
  toChips: 'div[aria-label="A"] [title*="@"], div[aria-label="To"] [title*="@"]',
  ccChips: 'div[aria-label="Cc"] [title*="@"]',
  // Outlook on the web shows no draft id in the compose DOM.
  draftId: null,
  // Outlook on the web reading pane: the subject heading of the conversation a reply belongs to.
  threadSubject: 'div[role="main"] [role="heading"][aria-level="2"]',
};
