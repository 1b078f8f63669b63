import { expect } from 'chai';
import type { SessionData } from 'express-session';
import { SessionWatch } from './hub.ts';

describe('SessionWatch', () => {
  it('keeps the session id and the live timer out of what socket.io would send as JSON', () => {
    const watch = new SessionWatch('s3cr3t-session-id', { cookie: { expires: new Date() } } as SessionData);
    watch.timer = setTimeout(() => {}, 60_000);
    try {
      // (a live timer is circular: without its own JSON the whole socket's data would fail to serialise)
      const json = JSON.stringify({ externalUserId: 'x1', session: watch });
      expect(json).to.equal('{"externalUserId":"x1"}');
    } finally {
      clearTimeout(watch.timer);
    }
  });
});
