/**
 * Uploads as an attacker sends them: over the limit (refused while streaming), with names that
 * try to escape folders or hide their extension, with bytes that contradict the declared type;
 * and the way files come back: raster images inline, everything else a sniff-proof download,
 * and export entries that never leave the zip's folders.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { makeCast } from '../server/src/testing/factories.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';
import { unzip } from '../server/src/testing/zip.ts';
import { entryName } from '../server/src/services/export.ts';
import { safeFileName } from '../server/src/services/attachments.ts';

const LIMIT = 256 * 1024;
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(64, 3)]);
const WEBP = Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(64, 4)]);
const EXE = Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(120, 0)]);
const ELF = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(120, 0)]);
const HTML = Buffer.from('<!doctype html><script>alert(document.domain)</script>');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');

describe('uploads: limits, names, content checks, how files are served', function () {
  this.timeout(60_000);
  let server: RunningServer;
  let cast: Awaited<ReturnType<typeof makeCast>>;
  let contextId: string;

  before(async () => {
    server = await startTestServer({ kind: 'pglite', dataDir: null }, { MAX_UPLOAD_BYTES: String(LIMIT) });
    cast = await makeCast(server);
    contextId = (await cast.asPiero.post('/api/contexts', { kind: 'note', subject: 'Uploads' })).body.id;
  });
  after(async () => {
    await server?.close();
  });

  const upload = (files: { bytes: Buffer; type?: string; name: string }[], client: TestClient = cast.asPiero) => {
    const form = new FormData();
    for (const f of files) form.append('file', new Blob([new Uint8Array(f.bytes)], f.type ? { type: f.type } : {}), f.name);
    return client.post(`/api/contexts/${contextId}/attachments`, form);
  };
  const attachmentsOfContext = async () => (await cast.asPiero.get(`/api/contexts/${contextId}`)).body.attachments as { id: string }[];

  it('refuses an oversized file while it streams: the 413 comes long before the client has sent everything', async () => {
    const before = (await attachmentsOfContext()).length;
    const boundary = 'chatpro-boundary';
    // Chunked (no Content-Length), so that only the streaming limit can stop it; 64 MiB offered.
    const offered = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const url = new URL(`/api/contexts/${contextId}/attachments`, server.url);
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await new Promise<{ status: number; body: string; sentWhenAnswered: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = http.request(url, {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          origin: cast.asPiero.origin,
          cookie: [...cast.asPiero.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      req.on('response', (res) => {
        answered = true;
        const sentWhenAnswered = sent;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sentWhenAnswered }));
        res.on('error', reject);
      });
      // The server may close the connection while this side still writes: expected.
      req.on('error', (err) => (answered ? undefined : reject(err)));
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      const pump = () => {
        while (!answered && !req.destroyed && sent < offered) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (!answered && sent >= offered) req.end(`\r\n--${boundary}--\r\n`);
      };
      pump();
    });
    expect(result.status, result.body).to.equal(413);
    expect(JSON.parse(result.body).error.code).to.equal('payload_too_large');
    expect(result.sentWhenAnswered).to.be.lessThan(offered / 4);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    console.log(
      `figure: oversized upload (limit ${LIMIT / 1024} KiB, ${offered / 1024 / 1024} MiB offered) refused with 413 after ${(result.sentWhenAnswered / 1024 / 1024).toFixed(1)} MiB sent; heap growth ${(heapGrowth / 1024 / 1024).toFixed(1)} MiB (client and server in one process)`,
    );
    expect((await attachmentsOfContext()).length).to.equal(before);
    // The server still answers.
    expect((await cast.asPiero.get('/api/me')).status).to.equal(200);
  });

  it('normalises file names: NFC, no folders, no control or bidi characters, at most 200 characters', async () => {
    const names: [string, string][] = [
      ['cafe\u0301.txt', 'caf\u00e9.txt'],
      ['../../x', 'x'],
      ['/etc/passwd', 'passwd'],
      ['C:\\x', 'x'],
      ['..\\..', 'file'],
      ['..', 'file'],
      ['fattura\u202eFDP.exe', 'fattura_FDP.exe'],
      ['a\u2066b\u2069c\u200f.txt', 'a_b_c_.txt'],
      ['zero\u200bwidth\ufeff.txt', 'zero_width_.txt'],
      ['trailing dots...', 'trailing dots'],
      [`${'ä'.repeat(250)}.pdf`, `${'ä'.repeat(196)}.pdf`],
      ['\ud83d\ude00'.repeat(150), '\ud83d\ude00'.repeat(150)],
    ];
    const stored: { fileName: string }[] = [];
    for (const part of [names.slice(0, 6), names.slice(6)]) {
      const up = await upload(part.map(([name]) => ({ bytes: Buffer.from('x'), name })));
      expect(up.status, up.text).to.equal(201);
      stored.push(...up.body.attachments);
    }
    expect(stored.map((a) => a.fileName)).to.deep.equal(names.map(([, safe]) => (safe.length > 200 ? Array.from(safe).slice(0, 200).join('') : safe)));
    for (const a of stored) {
      // eslint-disable-next-line no-control-regex
      expect(a.fileName).to.not.match(/[\\/\u0000-\u001f\u202a-\u202e\u2066-\u2069]/);
      expect(Array.from(a.fileName).length).to.be.at.most(200);
    }
    // A lone surrogate (not valid UTF-16) cannot break the download headers.
    expect(safeFileName('bad\ud800name.txt')).to.equal('bad\ufffdname.txt');
    // Null bytes and line breaks (which a browser's form encoding escapes) are replaced too.
    expect(safeFileName('nul\u0000byte\r\n.txt')).to.equal('nul_byte__.txt');
    expect(safeFileName('tab\tand\u0007bell.txt')).to.equal('tab_and_bell.txt');
  });

  it('checks the leading bytes against the declared type: a mismatch is refused with 415 content_type_mismatch', async () => {
    const before = (await attachmentsOfContext()).length;
    const refused: { bytes: Buffer; type: string; name: string }[] = [
      { bytes: HTML, type: 'image/png', name: 'foto.png' },
      { bytes: EXE, type: 'image/png', name: 'foto.png' },
      { bytes: SVG, type: 'image/jpeg', name: 'foto.jpg' },
      { bytes: PNG, type: 'image/gif', name: 'foto.gif' },
      { bytes: Buffer.from('just text'), type: 'application/pdf', name: 'offerta.pdf' },
      { bytes: EXE, type: 'text/plain', name: 'leggimi.txt' },
      { bytes: ELF, type: 'application/pdf', name: 'offerta.pdf' },
      { bytes: Buffer.alloc(0), type: 'image/webp', name: 'vuota.webp' },
    ];
    for (const f of refused) {
      // Together with a good file: the whole upload is refused and nothing is kept.
      const res = await upload([{ bytes: PNG, type: 'image/png', name: 'ok.png' }, f]);
      expect(res.status, `${f.type} ${res.text}`).to.equal(415);
      expect(res.body.error.code).to.equal('content_type_mismatch');
      expect(res.body.error.message).to.include(f.name);
    }
    expect((await attachmentsOfContext()).length).to.equal(before);
  });

  it('shows only checked raster images inline; SVG, HTML, text and anything else are nosniff downloads', async () => {
    const files = [
      { bytes: PNG, type: 'image/png', name: 'a.png', served: 'image/png', inline: true },
      { bytes: JPEG, type: 'image/jpeg', name: 'b.jpg', served: 'image/jpeg', inline: true },
      { bytes: GIF, type: 'image/gif', name: 'c.gif', served: 'image/gif', inline: true },
      { bytes: WEBP, type: 'image/webp', name: 'd.webp', served: 'image/webp', inline: true },
      { bytes: PNG, type: 'application/octet-stream', name: 'senza-tipo.png', served: 'image/png', inline: true },
      { bytes: SVG, type: 'image/svg+xml', name: 'logo.svg', served: 'application/octet-stream', inline: false },
      { bytes: HTML, type: 'text/html', name: 'pagina.html', served: 'application/octet-stream', inline: false },
      { bytes: Buffer.from('<?xml version="1.0"?><x/>'), type: 'application/xhtml+xml', name: 'p.xhtml', served: 'application/octet-stream', inline: false },
      { bytes: Buffer.from('ciao'), type: 'text/plain', name: 'nota.txt', served: 'application/octet-stream', inline: false },
      { bytes: Buffer.from('%PDF-1.7 x'), type: 'application/pdf', name: 'o.pdf', served: 'application/pdf', inline: false },
      { bytes: EXE, type: 'application/octet-stream', name: 'setup.exe', served: 'application/octet-stream', inline: false },
    ];
    const stored: { id: string }[] = [];
    for (const part of [files.slice(0, 6), files.slice(6)]) {
      const up = await upload(part);
      expect(up.status, up.text).to.equal(201);
      stored.push(...up.body.attachments);
    }
    for (const [i, f] of files.entries()) {
      const a = stored[i]!;
      const res = await cast.asPiero.raw('GET', `/api/attachments/${a.id}`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type'), f.name).to.equal(f.served);
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('content-disposition'), f.name).to.match(f.inline ? /^inline;/ : /^attachment;/);
      expect(res.headers.get('content-security-policy')).to.equal("default-src 'none'; sandbox");
      expect(Buffer.from(await res.arrayBuffer()).equals(f.bytes)).to.equal(true);
    }
  });

  it('keeps every export entry inside its folder, whatever the file names', async () => {
    const hostile = ['../../x', '/etc/passwd', 'C:\\x', '..\\..', '..', '.', 'a/../../b.txt', '\\\\server\\share\\f.txt', 'C:x.txt'];
    for (const name of hostile) {
      const entry = entryName('attachments', name);
      expect(entry.startsWith('attachments/'), entry).to.equal(true);
      expect(entry.slice('attachments/'.length)).to.not.match(/[\\/]|^\.\.?$|^[a-z]:/i);
    }
    // Through a real conversation and its export.
    const link = (await cast.asPiero.post(`/api/contexts/${contextId}/links`, {})).body as { token: string };
    const guest = new TestClient(server.url);
    await guest.signIn('external', 'esterno@customer.test', { link: link.token });
    const form = new FormData();
    for (const name of hostile) form.append('file', new Blob([Buffer.from(`contenuto di ${name}`)]), name);
    const up = await guest.post(`/api/guest/${link.token}/uploads`, form);
    expect(up.status, up.text).to.equal(201);
    const sent = await guest.post(`/api/guest/${link.token}/messages`, {
      clientId: 'export-names-0001',
      body: 'nomi ostili',
      attachmentIds: up.body.attachments.map((a: { id: string }) => a.id),
    });
    expect(sent.status, sent.text).to.equal(201);
    const res = await guest.raw('GET', `/api/guest/${link.token}/export`);
    expect(res.status).to.equal(200);
    const entries = [...(await unzip(Buffer.from(await res.arrayBuffer()))).keys()];
    const files = entries.filter((e) => e !== 'chat.txt');
    expect(files).to.have.length(hostile.length);
    for (const e of files) {
      expect(e).to.match(/^attachments\/[^\\/]+$/);
      expect(e).to.not.match(/(^|\/)\.\.?(\/|$)|^[a-z]:/i);
    }
    console.log(`figure: export entry names: ${hostile.length} hostile names, ${files.length} entries, all inside attachments/`);
  });
});
