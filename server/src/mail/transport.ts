/**
 * Sending mail: through the SMTP server of `SMTP_URL`, or, on the embedded setup, into
 * `DATA_DIR/outbox` as one .eml file per message (and a log line), so that nothing is lost and
 * a person can open it with any mail program.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import type { Logger } from '../logger.ts';

export type OutgoingMail = SendMailOptions;

export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** The .eml file written, on the outbox transport. */
  file: string | null;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  send(mail: OutgoingMail): Promise<SentMail>;
  close(): void;
}

const addresses = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((a) => (typeof a === 'string' ? a : String((a as { address?: string }).address ?? ''))) : [];

/** Every recipient of a message, as plain addresses. */
function recipientsOf(mail: OutgoingMail): string[] {
  const flat = (v: unknown): string[] => {
    if (!v) return [];
    if (Array.isArray(v)) return v.flatMap(flat);
    if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
    const address = (v as { address?: unknown }).address;
    return typeof address === 'string' ? [address] : [];
  };
  return [...flat(mail.to), ...flat(mail.cc), ...flat(mail.bcc)];
}

export function createMailTransport(options: { smtpUrl: string | null; outboxDir: string; from: string }, logger: Logger): MailTransport {
  if (options.smtpUrl) {
    const transporter = nodemailer.createTransport(options.smtpUrl, { from: options.from });
    return {
      kind: 'smtp',
      async send(mail) {
        const info = await transporter.sendMail(mail);
        logger.info({ messageId: info.messageId, accepted: info.accepted.length, rejected: info.rejected.length }, 'mail sent');
        return { messageId: info.messageId, accepted: addresses(info.accepted), rejected: addresses(info.rejected), file: null };
      },
      close: () => transporter.close(),
    };
  }
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }, { from: options.from });
  return {
    kind: 'outbox',
    async send(mail) {
      const info = await transporter.sendMail(mail);
      await mkdir(options.outboxDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = path.join(options.outboxDir, `${stamp}-${randomBytes(4).toString('hex')}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      const to = recipientsOf(mail);
      logger.info({ file, to, subject: mail.subject }, 'mail written to the outbox (no SMTP_URL)');
      return { messageId: info.messageId, accepted: to, rejected: [], file };
    },
    close: () => transporter.close(),
  };
}
