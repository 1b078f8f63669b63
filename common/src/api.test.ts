import { expect } from 'chai';
import { ContextCreate, ContextUpdate, ProfileOptionsUpdate } from './api.ts';
import { t } from './i18n.ts';

describe('common API schemas', () => {
  it('accepts a note and fills defaults', () => {
    const parsed = ContextCreate.parse({ kind: 'note', subject: '  Verbale  ' });
    expect(parsed).to.deep.equal({ kind: 'note', subject: 'Verbale', bodyHtml: '', viewerIds: [] });
  });

  it('needs start and end for an event, in order, with a real time zone', () => {
    expect(ContextCreate.safeParse({ kind: 'event', subject: 'x' }).success).to.equal(false);
    const base = { kind: 'event', subject: 'x', event: { start: '2026-12-01T10:00:00+01:00', end: '2026-12-01T09:00:00+01:00' } };
    expect(ContextCreate.safeParse(base).success).to.equal(false);
    const ok = ContextCreate.parse({ ...base, event: { ...base.event, end: '2026-12-01T11:00:00+01:00' } });
    expect(ok.event?.timeZone).to.equal('Europe/Rome');
    expect(ContextCreate.safeParse({ ...base, event: { ...base.event, end: '2026-12-01T11:00:00+01:00', timeZone: 'Mars/Olympus' } }).success).to.equal(false);
  });

  it('refuses fields of another kind, unknown fields, empty subjects and empty updates', () => {
    expect(ContextCreate.safeParse({ kind: 'note', subject: 'x', email: { to: [] } }).success).to.equal(false);
    expect(ContextCreate.safeParse({ kind: 'note', subject: 'x', owner: 'me' }).success).to.equal(false);
    expect(ContextCreate.safeParse({ kind: 'note', subject: '   ' }).success).to.equal(false);
    expect(ContextUpdate.safeParse({}).success).to.equal(false);
    expect(ProfileOptionsUpdate.safeParse({ chatExpiryDays: 0 }).success).to.equal(false);
    expect(ProfileOptionsUpdate.safeParse({ chatExpiryDays: 7300 }).success).to.equal(true);
  });
});

describe('i18n', () => {
  it('speaks Italian by default and English on request, keeping the product words', () => {
    expect(t('it', 'action.discuss')).to.equal('Clicca qui per discuterne');
    expect(t('xx', 'action.activateExternal')).to.equal('Attiva conversazione esterna');
    expect(t('en', 'signIn.with', { provider: 'Apple' })).to.equal('Sign in with Apple');
  });
});
