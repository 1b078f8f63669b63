import { expect } from 'chai';
import { contentDisposition, safeFileName } from './attachments.ts';
import { exportFileName, uniqueName } from './export.ts';

describe('file names', () => {
  it('keeps no folders, control or reserved characters, or leading dots', () => {
    expect(safeFileName('../../etc/passwd')).to.equal('passwd');
    expect(safeFileName('..\\..\\boot.ini')).to.equal('boot.ini');
    expect(safeFileName('a\u0000b\u0007c\u001b.txt')).to.equal('a_b_c_.txt');
    expect(safeFileName('invoice\u202egpj.exe')).to.equal('invoice_gpj.exe');
    expect(safeFileName('...hidden')).to.equal('hidden');
    expect(safeFileName('  ')).to.equal('file');
    expect(safeFileName('<script>alert(1)</script>.html')).to.equal('script_.html');
    const long = safeFileName(`${'a'.repeat(300)}.pdf`);
    expect(long).to.have.length(200);
    expect(long.endsWith('.pdf')).to.equal(true);
  });

  it('gives each exported file a unique name, case-insensitively', () => {
    const taken = new Set<string>();
    expect(['a.txt', 'A.txt', 'a.txt', 'b'].map((n) => uniqueName(n, taken))).to.deep.equal(['a.txt', 'A (2).txt', 'a (3).txt', 'b']);
    expect(exportFileName('Preventivo: «serramenti» 2027', new Date('2026-11-28T10:00:00Z'))).to.equal('chatpro-Preventivo-serramenti-2027-2026-11-28.zip');
  });

  it('writes Content-Disposition with an ASCII fallback and the exact UTF-8 name', () => {
    expect(contentDisposition('perché "sì".pdf')).to.equal(`attachment; filename="perch_ _s__.pdf"; filename*=UTF-8''perch%C3%A9%20%22s%C3%AC%22.pdf`);
  });
});
