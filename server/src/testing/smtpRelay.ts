/**
 * A real SMTP server for tests, started in-process on port 0: ChatPro sends to it through
 * SMTP_URL, and the test reads every message it received, parsed with mailparser.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface RelayedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

export interface SmtpRelay {
  url: string;
  mails: RelayedMail[];
  /** Mails whose envelope goes to `address`. */
  to(address: string): RelayedMail[];
  /** Waits until `count` mails went to `address` (fails after `ms`), and answers them. */
  waitFor(address: string, count?: number, ms?: number): Promise<RelayedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpRelay(): Promise<SmtpRelay> {
  const mails: RelayedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            mails.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()) }, raw, parsed });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  const to = (address: string) => mails.filter((m) => m.envelope.to.includes(address.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    to,
    async waitFor(address, count = 1, ms = 10_000) {
      const end = Date.now() + ms;
      while (to(address).length < count) {
        if (Date.now() > end) throw new Error(`expected ${count} mail(s) to ${address} within ${ms} ms, got ${to(address).length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return to(address);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls `predicate` until it holds (fails after `ms`). */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
