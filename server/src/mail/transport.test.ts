import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import { createMailTransport } from './transport.ts';

describe('mail transport without SMTP_URL', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'chatpro-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each message as an .eml file in the outbox that a mail program can open', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const transport = createMailTransport({ smtpUrl: null, outboxDir: path.join(dir, 'outbox'), from: 'ChatPro <chatpro@localhost>' }, logger);
    expect(transport.kind).to.equal('outbox');
    const sent = await transport.send({ to: ['mario@customer.test', 'anna@customer.test'], cc: 'capo@customer.test', subject: 'Prova è', html: '<p>Ciao</p>', text: 'Ciao' });
    await transport.send({ to: 'second@customer.test', subject: 'Seconda', text: 'x' });
    transport.close();
    const files = readdirSync(path.join(dir, 'outbox'));
    expect(files).to.have.length(2);
    expect(files.every((f) => f.endsWith('.eml'))).to.equal(true);
    expect(sent.file).to.equal(path.join(dir, 'outbox', files.find((f) => sent.file!.endsWith(f))!));
    expect(sent.accepted).to.deep.equal(['mario@customer.test', 'anna@customer.test', 'capo@customer.test']);
    const parsed = await simpleParser(readFileSync(sent.file!));
    expect(parsed.subject).to.equal('Prova è');
    expect(parsed.from?.value[0]?.address).to.equal('chatpro@localhost');
    expect(parsed.text?.trim()).to.equal('Ciao');
    expect(String(parsed.html)).to.include('<p>Ciao</p>');
    expect(parsed.messageId).to.equal(sent.messageId);
    expect(lines.some((l) => l.includes('mail written to the outbox') && l.includes('mario@customer.test'))).to.equal(true);
  });
});
