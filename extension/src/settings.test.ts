import { fakeBrowser } from './testing/fakeBrowser.ts';
import { expect } from 'chai';
import { DEFAULT_SERVER, getDraftLink, getServer, getToken, getUser, normalizeServer, saveSignIn, setDraftLink, setServer } from './settings.ts';

describe('extension settings (storage)', () => {
  beforeEach(() => fakeBrowser.reset());

  it('defaults to the local server and keeps a normalised origin', async () => {
    expect(await getServer()).to.equal(DEFAULT_SERVER);
    expect(await setServer(' https://chat.tweppy.test/app/ ')).to.equal('https://chat.tweppy.test');
    expect(await getServer()).to.equal('https://chat.tweppy.test');
    expect(() => normalizeServer('javascript:alert(1)')).to.throw();
    expect(() => normalizeServer('not a url')).to.throw();
  });

  it('forgets the token, user and drafts when the server changes, not when it stays', async () => {
    await saveSignIn('cpx_token', { id: 'u1', name: 'Piero', email: 'piero@tweppy.test' });
    await setDraftLink('gmail:local:1', { contextId: 'c1', linkId: 'l1' });
    await setServer(DEFAULT_SERVER);
    expect(await getToken()).to.equal('cpx_token');
    await setServer('https://other.test');
    expect(await getToken()).to.equal(null);
    expect(await getUser()).to.equal(null);
    expect(await getDraftLink('gmail:local:1')).to.equal(null);
  });

  it('remembers the context of each draft, bounded to the newest 200', async () => {
    for (let i = 0; i < 205; i++) await setDraftLink(`k${i}`, { contextId: `c${i}`, linkId: `l${i}` });
    expect(await getDraftLink('k0')).to.equal(null);
    expect(await getDraftLink('k204')).to.deep.equal({ contextId: 'c204', linkId: 'l204' });
    const stored = (await fakeBrowser.storage.local.get('drafts')) as { drafts: Record<string, unknown> };
    expect(Object.keys(stored.drafts)).to.have.length(200);
  });
});
