import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { redactUrl } from '../logger.ts';
import { clientIpOf, RateCounter, TokenBucket } from './rateLimit.ts';

describe('abuse limit counters', () => {
  it('counts a fixed window per key and says how long to wait, then starts afresh', () => {
    const c = new RateCounter({ limit: 3, windowMs: 10_000 });
    expect([c.hit('a', 0), c.hit('a', 1), c.hit('a', 2)]).to.deep.equal([0, 0, 0]);
    expect(c.hit('a', 2_500)).to.equal(8); // 7.5 s left, rounded up
    expect(c.peek('a', 2_500)).to.equal(8);
    expect(c.hit('b', 2_500)).to.equal(0);
    expect(c.peek('a', 10_000)).to.equal(0);
    expect(c.hit('a', 10_000)).to.equal(0);
  });

  it('refills a token bucket at its rate, never above its burst', () => {
    const b = new TokenBucket(2, 3, 0);
    expect([b.take(0), b.take(0), b.take(0)]).to.deep.equal([0, 0, 0]);
    expect(b.take(0)).to.equal(1);
    expect(b.take(500)).to.equal(0); // one token back after half a second
    expect(b.take(500)).to.equal(1);
    expect([b.take(60_000), b.take(60_000), b.take(60_000), b.take(60_000)]).to.deep.equal([0, 0, 0, 1]);
  });

  it('reads the client address of a handshake by the trust proxy rule', () => {
    const req = (xff?: string) => ({ headers: xff ? { 'x-forwarded-for': xff } : {}, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
    expect(clientIpOf(false)(req('203.0.113.9'))).to.equal('127.0.0.1');
    expect(clientIpOf(true)(req('198.51.100.1, 203.0.113.9'))).to.equal('198.51.100.1');
    expect(clientIpOf(1)(req('198.51.100.1, 203.0.113.9'))).to.equal('203.0.113.9');
    expect(clientIpOf('loopback')(req('203.0.113.9'))).to.equal('203.0.113.9');
    expect(clientIpOf('loopback')(req())).to.equal('127.0.0.1');
  });
});

describe('redactUrl', () => {
  it('hides link tokens in paths and credentials in queries', () => {
    expect(redactUrl('/c/AbCdEfGhIjKlMnOpQrStUv')).to.equal('/c/[redacted]');
    expect(redactUrl('/api/guest/AbCdEfGhIjKlMnOpQrStUv/files/1?x=1')).to.equal('/api/guest/[redacted]/files/1?x=1');
    expect(redactUrl('/auth/dev/callback?code=abc&state=def&iss=x')).to.equal('/auth/dev/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&iss=x');
    expect(redactUrl('/auth/dev/login?audience=external&link=tok&returnTo=%2Fc%2Ftok')).to.not.include('tok');
    expect(redactUrl('/mail/unsubscribe?token=secret')).to.not.include('secret');
    expect(redactUrl('/api/contexts?limit=5')).to.equal('/api/contexts?limit=5');
  });
});
