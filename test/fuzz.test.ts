/**
 * Fuzzing against a real server (PGlite): generated JSON bodies, wrong content types and
 * encodings, query strings, path parameters, cookies and origins for every API endpoint, raw
 * HTTP requests with odd Content-Length / Transfer-Encoding, and every client socket event with
 * wrong, huge or strange payloads. Nothing may crash the server, answer 5xx, or leave an
 * unhandled rejection; every API 4xx is `{ error: { code, message } }`; memory returns near its
 * baseline. Seeded: the seed is printed, `FC_SEED=<seed>` replays the same inputs.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import type { RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { makeCast, makeContext, makeTemplate } from '../server/src/testing/factories.ts';
import { connectSocket, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
const HTTP_RUNS = 100; // batches of BATCH requests
const SOCKET_RUNS = 400; // batches of BATCH events
const BATCH = 20;

/** Every API route of the server: the fuzzer fills the parameters. */
const ROUTES: [string, string][] = [
  ['GET', '/api/me'], ['GET', '/api/users'], ['GET', '/api/profile/options'], ['PATCH', '/api/profile/options'],
  ['GET', '/api/templates'], ['POST', '/api/templates'], ['GET', '/api/templates/:id'], ['PATCH', '/api/templates/:id'],
  ['GET', '/api/contexts'], ['POST', '/api/contexts'], ['GET', '/api/contexts/:id'], ['PATCH', '/api/contexts/:id'],
  ['POST', '/api/contexts/:id/viewers'], ['DELETE', '/api/contexts/:id/viewers/:userId'], ['POST', '/api/contexts/:id/attachments'],
  ['GET', '/api/attachments/:id'], ['GET', '/api/guest/:token'], ['GET', '/api/guest/:token/messages'], ['POST', '/api/guest/:token/messages'],
  ['POST', '/api/guest/:token/uploads'], ['GET', '/api/guest/:token/files/:id'], ['GET', '/api/guest/:token/export'],
  ['GET', '/api/extension/tokens'], ['POST', '/api/contexts/:id/groups'], ['POST', '/api/contexts/:id/groups/merge'],
  ['GET', '/api/contexts/:id/externals'], ['POST', '/api/groups/:id/members'], ['POST', '/api/contexts/:id/template'],
  ['GET', '/api/contexts/:id/links'], ['POST', '/api/contexts/:id/links'], ['GET', '/api/templates/:id/links'], ['POST', '/api/templates/:id/links'],
  ['GET', '/api/links/:id'], ['PATCH', '/api/links/:id'], ['GET', '/api/contexts/:id/groups'], ['GET', '/api/groups/:id/messages'],
  ['POST', '/api/groups/:id/messages'], ['POST', '/api/groups/:id/read'], ['GET', '/api/groups/:id/export'], ['POST', '/api/uploads'],
  ['GET', '/api/notifications'], ['POST', '/api/notifications/read'], ['POST', '/api/contexts/:id/send-email'],
  ['POST', '/api/contexts/:id/send-invitation'], ['GET', '/api/no/such/route'], ['PUT', '/api/contexts'],
];
const SOCKET_EVENTS = ['chat:join', 'message:send', 'messages:since', 'context:watch', 'typing', 'read', 'no:such:event'];
const FIELDS = [
  'kind', 'subject', 'bodyHtml', 'email', 'to', 'cc', 'viewerIds', 'userId', 'userIds', 'showBody', 'expiresAt', 'notifyUserIds',
  'clientId', 'body', 'attachmentIds', 'groupId', 'groupIds', 'linkToken', 'sinceSeq', 'since', 'limit', 'seq', 'name', 'typing',
  'contextId', 'externalId', 'active', 'language', 'days', '__proto__', 'constructor', 'prototype', 'toString',
];

describe('fuzzing: HTTP and socket events against a real server', function () {
  this.timeout(240_000);
  let server: RunningServer;
  const failures: string[] = [];
  const processErrors: unknown[] = [];
  const onProcessError = (err: unknown) => processErrors.push(err);
  let ids: { context: string; template: string; user: string; group: string; link: string; token: string; file: string };
  let clients: TestClient[];
  let gc: () => void = () => {};
  let baselineHeap = 0;

  before(async () => {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
    process.on('unhandledRejection', onProcessError);
    process.on('uncaughtException', onProcessError);
    server = await startTestServer({ kind: 'pglite', dataDir: null }, { MAX_UPLOAD_BYTES: String(64 * 1024) });
    const db = server.database.db;
    const cast = await makeCast(server);
    const context = await makeContext(db, cast.piero, { kind: 'email', subject: 'Fuzz' });
    const template = await makeTemplate(db, cast.piero);
    const link = (await cast.asPiero.post(`/api/contexts/${context.id}/links`, {})).body as { id: string; token: string };
    const guest = new TestClient(server.url);
    await guest.signIn('external', 'fuzz@customer.test', { link: link.token });
    const form = new FormData();
    form.append('file', new Blob(['x']), 'x.txt');
    const file = (await guest.post(`/api/guest/${link.token}/uploads`, form)).body.attachments[0].id as string;
    const sent = await guest.post(`/api/guest/${link.token}/messages`, { clientId: 'fuzz-setup-0001', body: 'ciao', attachmentIds: [file] });
    ids = { context: context.id, template: template.id, user: cast.daniele.id, group: sent.body.message?.groupId ?? sent.body.groupId, link: link.id, token: link.token, file };
    expect(ids.group, JSON.stringify(sent.body)).to.be.a('string');
    clients = [new TestClient(server.url), cast.asPiero, guest, cast.asForeigner];
    await new Promise((r) => setTimeout(r, 200));
    gc();
    baselineHeap = process.memoryUsage().heapUsed;
  });
  after(async () => {
    process.off('unhandledRejection', onProcessError);
    process.off('uncaughtException', onProcessError);
    await server?.close();
  });

  // ---- generators ----------------------------------------------------------------------------
  const longString = fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'é<'.repeat(n));
  const strange = fc.constantFrom(
    '', ' ', '\u0000', '../../etc/passwd', '%00', '%2e%2e%2f', '<script>alert(1)</script>', '\u202e', '\ud800', 'NaN', '-1', '1e309',
    '00000000-0000-0000-0000-000000000000', '__proto__', 'null', '[]', '{}', "' OR 1=1 --", '${7*7}', 'a'.repeat(300),
  );
  const weird: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      strange,
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.uuid(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      longString,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), tie('value'), { maxKeys: 4 }),
    ),
  })).value;
  const body = fc.dictionary(fc.constantFrom(...FIELDS), weird, { maxKeys: 6 });
  /** Bodies that pass most of the schema, with odd text (NUL, lone surrogates, control characters) where text goes. */
  const oddText = fc.oneof(fc.string({ unit: 'binary', minLength: 1 }), strange, fc.string({ minLength: 1 }).map((t) => `${t}\u0000${t}`));
  const validish = fc.oneof(
    fc.record({ kind: fc.constantFrom('note', 'email', 'event'), subject: oddText }),
    fc.record({ kind: fc.constant('note'), subject: fc.constant('Nota'), bodyHtml: oddText }),
    fc.record({ clientId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), body: oddText }),
    fc.record({ name: oddText, subject: oddText }),
    fc.record({ subject: oddText }),
    fc.record({ name: oddText }),
  );
  const pathParam = (real: string[]) =>
    fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...real) }, fc.uuid(), strange, fc.string({ minLength: 1 }), fc.stringMatching(/^[A-Za-z0-9_-]{22,40}$/));
  const payload = fc.oneof(
    { weight: 5, arbitrary: body.map((b) => ({ type: 'application/json', data: JSON.stringify(b) as string | Uint8Array })) },
    { weight: 10, arbitrary: validish.map((b) => ({ type: 'application/json', data: JSON.stringify(b) })) },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => ({ type: 'application/json', data: JSON.stringify(v) ?? 'null' })) },
    { weight: 1, arbitrary: fc.string().map((s) => ({ type: 'application/json', data: `{"a":${s}` })) },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constantFrom(
          'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=zz', 'application/xml',
          'application/json; charset=utf-16', 'application/json; charset=koi8-r', 'application/json; charset=nope', '', 'a/b/c', 'application/*',
        ),
        data: fc.oneof(fc.string(), fc.uint8Array({ maxLength: 256 }), body.map((b) => JSON.stringify(b))),
      }),
    },
    { weight: 1, arbitrary: body.map((b) => ({ type: 'application/json', data: gzipSync(JSON.stringify(b)), encoding: 'gzip' })) },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant('application/json'), data: fc.uint8Array({ maxLength: 64 }), encoding: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'x') }),
    },
  );
  const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom('since', 'limit', 'token', 'q', 'groupId', '__proto__', 'since[]', 'a[b][c]'), fc.string()), fc.oneof(fc.string(), strange)), { maxLength: 4 });
  const httpCase = fc.record({
    route: fc.constantFrom(...ROUTES),
    // -1: the route's rightful kind of user (the guest on /api/guest, Piero elsewhere); else anonymous, Piero, the guest, a foreigner.
    client: fc.oneof({ weight: 8, arbitrary: fc.constant(-1) }, fc.constant(0), fc.constant(1), fc.constant(2), fc.constant(3)),
    query,
    payload: fc.option(payload, { freq: 4 }),
    // Mostly the client's own origin and cookies (to reach the handlers), sometimes a stranger's.
    origin: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('https://evil.example', 'null', '', 'http://127.0.0.1') }),
    cookie: fc.oneof(
      { weight: 12, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.oneof(fc.constantFrom('chatpro.sid=s%3Agarbage.sig', 'chatpro.sid=', '=;=;', 'a=b; a=c'), fc.stringMatching(/^[\x21-\x7e]{0,80}$/)) },
    ),
    params: fc.record({ id: pathParam(['ctx', 'tpl', 'grp', 'lnk', 'file']), userId: pathParam(['user']), token: pathParam(['token']) }),
  });

  function fillPath(path: string, params: { id: string; userId: string; token: string }): string {
    const real: Record<string, string> = { ctx: ids.context, tpl: ids.template, grp: ids.group, lnk: ids.link, file: ids.file, user: ids.user, token: ids.token };
    const fill = (v: string) => encodeURIComponent((Object.hasOwn(real, v) ? real[v]! : v).replace(/[\ud800-\udfff]/g, '\ufffd'));
    return path.replace(':id', fill(params.id)).replace(':userId', fill(params.userId)).replace(':token', fill(params.token));
  }

  /** fc.assert, with the counterexample cut short (payloads can be megabytes). */
  async function check<T>(property: fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
    try {
      await fc.assert(property, { seed: SEED, numRuns, endOnFailure: true });
    } catch (err) {
      const full = (err as Error).message;
      const message = `${String((err as Error).cause ?? '')}\n${full}`;
      throw new Error(`${message.slice(0, 3000)}${message.length > 3000 ? ` … (${message.length} characters)` : ''}\nReplay: FC_SEED=${SEED}`);
    }
  }

  let httpCount = 0;
  const statusCounts = new Map<number, number>();

  type HttpCase = typeof httpCase extends fc.Arbitrary<infer T> ? T : never;
  async function runHttp(c: HttpCase): Promise<void> {
    const [method, template] = c.route;
    const qs = new URLSearchParams(c.query).toString();
    const path = `${fillPath(template, c.params)}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = {};
    if (c.origin !== null) headers.origin = c.origin;
    const client = clients[c.client === -1 ? (template.startsWith('/api/guest/') ? 2 : 1) : c.client]!;
    let init: { body?: BodyInit; headers: Record<string, string> } = { headers };
    if (c.payload && method !== 'GET') {
      if (c.payload.type) headers['content-type'] = c.payload.type;
      if ('encoding' in c.payload && c.payload.encoding) headers['content-encoding'] = c.payload.encoding;
      init = { headers, body: typeof c.payload.data === 'string' ? c.payload.data : new Uint8Array(c.payload.data) };
    }
    let res: Response;
    if (c.cookie !== null) {
      // A stranger's cookie header instead of the client's own.
      res = await fetch(new URL(path, server.url), { method, headers: { ...headers, cookie: c.cookie, origin: headers.origin ?? new URL(server.url).origin }, body: init.body ?? null, redirect: 'manual' });
    } else res = await client.raw(method, path, init);
    const text = await res.text();
    httpCount++;
    statusCounts.set(res.status, (statusCounts.get(res.status) ?? 0) + 1);
    const where = `${method} ${path.slice(0, 200)} (client ${c.client}, ${headers['content-type'] ?? 'no type'})`;
    if (res.status >= 500) failures.push(`${where} → ${res.status} ${text.slice(0, 200)}`);
    else if (res.status >= 400) {
      let shape = false;
      try {
        const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
        shape = typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string';
      } catch {
        shape = false;
      }
      if (!shape) failures.push(`${where} → ${res.status} without {error:{code,message}}: ${text.slice(0, 200)}`);
    }
  }

  it(`answers ${HTTP_RUNS * BATCH} generated HTTP requests without 5xx, each 4xx with {error:{code,message}}`, async () => {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    console.log(`figure: fuzz seed ${SEED} (replay with FC_SEED=${SEED})`);
    await check(
      fc.asyncProperty(fc.array(httpCase, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const before = failures.length;
        await Promise.all(batch.map(runHttp));
        if (failures.length > before) throw new Error(failures.slice(before).join('\n'));
      }),
      HTTP_RUNS,
    );
    console.log(
      `figure: fuzz HTTP ${httpCount} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${[...statusCounts].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`,
    );
    expect(failures, failures.slice(0, 10).join('\n')).to.deep.equal([]);
    expect(httpCount).to.be.at.least(HTTP_RUNS * BATCH);
    gc();
    console.log(`figure: fuzz HTTP heap ${(heapBefore / 2 ** 20).toFixed(1)} → ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`);
  });

  it('answers raw HTTP with odd Content-Length / Transfer-Encoding without 5xx and stays up', async () => {
    const origin = new URL(server.url);
    const cookie = [...clients[1]!.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const head = (extra: string) =>
      `POST /api/contexts HTTP/1.1\r\nHost: ${origin.host}\r\nConnection: close\r\nOrigin: ${origin.origin}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nConnection: close\r\n${extra}\r\n`;
    const cases = [
      head('Content-Length: 5\r\n') + '{"kind":"note","subject":"x"}',
      head('Content-Length: -1\r\n') + '{}',
      head('Content-Length: abc\r\n') + '{}',
      head('Content-Length: 99999999999999999999\r\n') + '{}',
      head('Content-Length: 2\r\nContent-Length: 3\r\n') + '{}',
      head('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n') + '2\r\n{}\r\n0\r\n\r\n',
      head('Transfer-Encoding: chunked\r\n') + 'zz\r\n{}\r\n0\r\n\r\n',
      head('Transfer-Encoding: gzip, chunked\r\n') + '2\r\n{}\r\n0\r\n\r\n',
      head('Content-Length: 10485760\r\n') + '{"kind":',
      head(`X-Long: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n`) + '{}',
      `GET /api/${'a/'.repeat(5000)} HTTP/1.1\r\nHost: ${origin.host}\r\nConnection: close\r\n\r\n`,
      `GET /api/me HTTP/1.1\r\nHost: ${origin.host}\r\nConnection: close\r\nCookie: ${'x=y; '.repeat(3000)}\r\n\r\n`,
      `GET /api/guest/%E0%A4%A HTTP/1.1\r\nHost: ${origin.host}\r\nConnection: close\r\n\r\n`,
      `GET /api/contexts/%ZZ HTTP/1.1\r\nHost: ${origin.host}\r\nConnection: close\r\n\r\n`,
      `BREW /api/me HTTP/1.1\r\nHost: ${origin.host}\r\nConnection: close\r\n\r\n`,
    ];
    const statuses: number[] = [];
    for (const raw of cases) {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(Number(origin.port), origin.hostname);
        let data = '';
        const timer = setTimeout(() => socket.destroy(), 1000);
        socket.on('data', (d) => {
          data += d.toString('latin1');
        });
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(data);
        });
        socket.on('error', () => {});
        socket.write(raw);
      });
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      statuses.push(status);
      expect(status, `${raw.slice(0, 120)} → ${answer.slice(0, 300)}`).to.not.be.within(500, 599);
    }
    console.log(`figure: fuzz raw HTTP ${cases.length} framing cases → statuses ${statuses.join(' ')} (0 = connection closed without answer)`);
    expect((await clients[1]!.get('/api/me')).status).to.equal(200);
  });

  it(`answers ${SOCKET_RUNS * BATCH} generated socket events with error acks, never crashing`, async () => {
    const actors = [clients[1]!, clients[2]!, clients[3]!];
    const sockets: (ChatSocket | null)[] = [null, null, null];
    let reconnects = 0;
    let events = 0;
    const socketOf = async (i: number) => {
      const s = sockets[i];
      if (s?.connected) return s;
      if (s) reconnects++;
      s?.disconnect();
      sockets[i] = await connectSocket(actors[i]!);
      return sockets[i]!;
    };
    const realish = fc.oneof(
      fc.record({ groupId: fc.oneof(fc.constant('grp'), weird), sinceSeq: weird }, { requiredKeys: [] }),
      fc.record({ linkToken: fc.oneof(fc.constant('token'), weird), clientId: weird, body: weird, attachmentIds: weird }, { requiredKeys: [] }),
      fc.record({ contextId: fc.oneof(fc.constant('ctx'), weird), typing: weird, seq: weird }, { requiredKeys: [] }),
    );
    const socketCase = fc.record({
      actor: fc.integer({ min: 0, max: 2 }),
      event: fc.constantFrom(...SOCKET_EVENTS),
      payload: fc.oneof(
        { arbitrary: weird, weight: 40 },
        { arbitrary: realish, weight: 40 },
        { arbitrary: fc.constant(undefined), weight: 5 },
        { arbitrary: fc.uint8Array({ maxLength: 128 }).map((a) => Buffer.from(a)), weight: 10 },
        // Over socket.io's 1 MB packet limit: the server closes that socket.
        { arbitrary: fc.constant({ body: 'x'.repeat(1_100_000) }), weight: 1 },
      ),
      withAck: fc.boolean(),
      extra: fc.option(weird, { freq: 4 }),
    });
    const real: Record<string, string> = { grp: ids.group, token: ids.token, ctx: ids.context };
    const resolve = (v: unknown): unknown => {
      if (typeof v === 'string' && Object.hasOwn(real, v)) return real[v];
      if (v && typeof v === 'object' && !Buffer.isBuffer(v) && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
      return v;
    };
    const badAcks: string[] = [];
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    await check(
      fc.asyncProperty(fc.array(socketCase, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const before = badAcks.length;
        await Promise.all(
          batch.map(async (c) => {
            const socket = await socketOf(c.actor);
            const payload = resolve(c.payload);
            events++;
            const known = c.event !== 'no:such:event' && c.event !== 'typing';
            if (!c.withAck || !known) {
              const args: unknown[] = [payload];
              if (c.extra !== null) args.push(c.extra);
              (socket.emit as (...a: unknown[]) => void)(c.event, ...args);
              return;
            }
            try {
              const ack = (await (socket.timeout(10_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<unknown> }).emitWithAck(c.event, payload)) as {
                ok?: boolean;
                error?: { code?: unknown; message?: unknown };
              };
              const good = ack?.ok === true || (ack?.ok === false && typeof ack.error?.code === 'string' && typeof ack.error.message === 'string');
              if (!good) badAcks.push(`${c.event} ${JSON.stringify(payload)?.slice(0, 200)} → ${JSON.stringify(ack).slice(0, 200)}`);
              if (ack?.ok === false && ack.error?.code === 'internal_error') badAcks.push(`${c.event} ${JSON.stringify(payload)?.slice(0, 200)} → internal_error`);
            } catch (err) {
              // A payload over the socket's size limit closes that socket (socket.io's maxHttpBufferSize): not an error.
              if (socket.connected) badAcks.push(`${c.event} ${JSON.stringify(payload)?.slice(0, 200)} → no ack (${(err as Error).message})`);
            }
          }),
        );
        if (badAcks.length > before) throw new Error(badAcks.slice(before).join('\n'));
      }),
      SOCKET_RUNS,
    );
    for (const s of sockets) s?.disconnect();
    console.log(`figure: fuzz socket ${events} events in ${((Date.now() - started) / 1000).toFixed(1)} s, ${reconnects} sockets closed by the server's size limit and reopened`);
    expect(badAcks, badAcks.slice(0, 10).join('\n')).to.deep.equal([]);
    expect(events).to.be.at.least(SOCKET_RUNS * BATCH);
    // The server is still up and serves.
    expect((await clients[1]!.get('/api/me')).status).to.equal(200);
    await new Promise((r) => setTimeout(r, 500));
    gc();
    console.log(`figure: fuzz socket heap ${(heapBefore / 2 ** 20).toFixed(1)} → ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`);
  });

  it('left no unhandled rejection or uncaught exception, and memory back near its baseline', async () => {
    expect(processErrors.map(String)).to.deep.equal([]);
    await new Promise((r) => setTimeout(r, 500));
    gc();
    gc();
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    const base = baselineHeap / 2 ** 20;
    console.log(`figure: fuzz memory: heap after setup ${base.toFixed(1)} MiB, after all fuzzing and gc ${heap.toFixed(1)} MiB (+${(heap - base).toFixed(1)}), rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
    // Generous: the same process also holds the test's clients, fast-check and PGlite's caches.
    expect(heap - base).to.be.below(96);
  });
});
