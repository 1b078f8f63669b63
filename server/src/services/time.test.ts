import { expect } from 'chai';
import { expiryFromInput, startOfDay } from './time.ts';

describe('expiry dates', () => {
  it('closes a link when its day starts in Rome, across summer and winter time', () => {
    expect(startOfDay('2026-12-01').toISOString()).to.equal('2026-11-30T23:00:00.000Z');
    expect(startOfDay('2026-07-01').toISOString()).to.equal('2026-06-30T22:00:00.000Z');
    // The days of the DST changes themselves.
    expect(startOfDay('2026-03-29').toISOString()).to.equal('2026-03-28T23:00:00.000Z');
    expect(startOfDay('2026-10-25').toISOString()).to.equal('2026-10-24T22:00:00.000Z');
  });
  it('takes an exact instant as it is', () => {
    expect(expiryFromInput('2026-12-01T10:00:00+01:00').toISOString()).to.equal('2026-12-01T09:00:00.000Z');
  });
});
