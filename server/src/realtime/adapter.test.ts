import { expect } from 'chai';
import { NotifyQueue } from './adapter.ts';

describe('NotifyQueue (the postgres adapter’s publishes)', () => {
  it('sends one statement at a time and the notifies that waited meanwhile together, in order', async () => {
    const statements: { sql: string; values: unknown[] }[] = [];
    let release: () => void = () => {};
    const queue = new NotifyQueue(async (sql, values) => {
      statements.push({ sql, values });
      if (statements.length === 1) await new Promise<void>((r) => (release = r));
      return { rows: [] };
    });
    const first = queue.add('ch', 'p0');
    const rest = ['p1', 'p2', 'p3'].map((p) => queue.add('ch', p));
    // The first is still running: nothing else has gone.
    await new Promise((r) => setImmediate(r));
    expect(statements).to.have.length(1);
    release();
    await Promise.all([first, ...rest]);
    expect(statements.map((s) => s.sql)).to.deep.equal(['SELECT pg_notify($1, $2)', 'SELECT pg_notify($1, $2), pg_notify($3, $4), pg_notify($5, $6)']);
    expect(statements[1]!.values).to.deep.equal(['ch', 'p1', 'ch', 'p2', 'ch', 'p3']);
  });

  it('fails every notify of a failed statement, and goes on with the next', async () => {
    let calls = 0;
    const queue = new NotifyQueue(async () => {
      calls++;
      if (calls === 2) throw new Error('connection lost');
      return {};
    });
    const a = queue.add('ch', 'a');
    const b = queue.add('ch', 'b');
    const c = queue.add('ch', 'c');
    await a;
    const failed = await Promise.allSettled([b, c]);
    expect(failed.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    await queue.add('ch', 'd');
    expect(calls).to.equal(3);
  });
});
