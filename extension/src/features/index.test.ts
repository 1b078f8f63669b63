import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import type { ContentScriptContext } from 'wxt/utils/content-script-context';
import { features, runFeatures } from './index.ts';
import type { Feature } from './types.ts';

describe('extension features', () => {
  it('registers every feature file, named after its file', () => {
    const files = readdirSync(import.meta.dirname)
      .filter((f) => f.endsWith('.tsx'))
      .map((f) => f.replace(/\.tsx$/, ''))
      .sort();
    expect(features.map((f) => f.name).sort()).to.deep.equal(files);
  });

  it('logs a failing feature by name and still runs the others', async () => {
    const errors: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    const ran: string[] = [];
    const list: Feature[] = [
      { name: 'broken-one', include: () => true, init: () => Promise.reject(new Error('selector gone')) },
      { name: 'other-host', include: () => false, init: () => void ran.push('other-host') },
      { name: 'works', include: () => true, init: () => void ran.push('works') },
    ];
    try {
      const started = await runFeatures({} as ContentScriptContext, { hostname: 'mail.google.com' } as Location, list);
      expect(started).to.deep.equal(['works']);
    } finally {
      console.error = original;
    }
    expect(ran).to.deep.equal(['works']);
    expect(String(errors[0]![0])).to.contain('broken-one');
  });
});
