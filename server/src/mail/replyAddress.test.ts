import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { parseReplyAddress, replyAddress } from './replyAddress.ts';
import { signId, verifyId } from './signing.ts';

const SECRET = 'a-mail-secret-for-tests-0123456789abcdef';

describe('reply addresses', () => {
  it('name the membership, are signed, and fit the 64-character local part of RFC 5321', () => {
    const member = randomUUID();
    const address = replyAddress(SECRET, 'Reply.Tweppy.test', member);
    expect(address).to.match(/^reply\+[0-9a-f]{32}\.[0-9a-f]{20}@reply\.tweppy\.test$/);
    expect(address.split('@')[0]!.length).to.be.at.most(64);
    expect(parseReplyAddress(SECRET, 'reply.tweppy.test', address)).to.equal(member);
    // Mail systems may change the case of an address.
    expect(parseReplyAddress(SECRET, 'reply.tweppy.test', address.toUpperCase())).to.equal(member);
  });

  it('refuses forged, altered, foreign and malformed addresses', () => {
    const member = randomUUID();
    const address = replyAddress(SECRET, 'reply.tweppy.test', member);
    const [local, domain] = address.split('@') as [string, string];
    const other = randomUUID().replace(/-/g, '');
    const forged = [
      `reply+${other}.${local.split('.')[1]}@${domain}`, // another member with this signature
      `${local.slice(0, -1)}${local.endsWith('0') ? '1' : '0'}@${domain}`, // one character of the signature changed
      `${local}@elsewhere.test`,
      replyAddress('another-secret-another-secret-another', domain, member),
      `reply+${other}@${domain}`,
      `reply+${local.slice(6, 38)}.${'0'.repeat(19)}@${domain}`,
      `someone@${domain}`,
      'not an address',
    ];
    for (const f of forged) expect(parseReplyAddress(SECRET, 'reply.tweppy.test', f), f).to.equal(null);
  });

  it('keeps each purpose apart: an unsubscribe token is no reply address', () => {
    const member = randomUUID();
    const token = signId(SECRET, 'unsubscribe', member, 20);
    expect(verifyId(SECRET, 'unsubscribe', token, 20)).to.equal(member);
    expect(verifyId(SECRET, 'reply', token, 20)).to.equal(null);
    expect(parseReplyAddress(SECRET, 'reply.tweppy.test', `reply+${token}@reply.tweppy.test`)).to.equal(null);
  });
});
