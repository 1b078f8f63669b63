/**
 * Export of a conversation as a .zip, streamed: chat.txt (one line per message), the context
 * body when it may be shown, and every attachment under attachments/ with a safe, unique name.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import archiver from 'archiver';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import { attachmentStream, safeFileName } from './attachments.ts';
import { messagesSince } from './chat.ts';
import { formatDateTime } from './time.ts';

/** Messages per query: the next page is read while this one is written. */
const PAGE = 2000;

/**
 * Files that are compressed already (photos, video, audio, archives, office documents, PDF):
 * deflating them again costs most of an export's time and saves next to nothing, so they are
 * stored as they are.
 */
const COMPRESSED_TYPE = /^(image\/(jpeg|png|gif|webp|heic|heif|avif)|video\/|audio\/(?!wav|x-wav)|application\/(zip|gzip|x-gzip|x-7z-compressed|x-rar-compressed|vnd\.rar|x-bzip2|x-xz|zstd|pdf|epub\+zip|vnd\.openxmlformats-officedocument\.|vnd\.oasis\.opendocument\.))/i;
const COMPRESSED_EXT = /\.(jpe?g|png|gif|webp|heic|heif|avif|mp4|m4v|mov|webm|mkv|mp3|m4a|aac|ogg|opus|zip|gz|tgz|7z|rar|bz2|xz|zst|pdf|epub|docx|xlsx|pptx|odt|ods|odp)$/i;

export function isCompressed(file: { fileName: string; contentType?: string }): boolean {
  return (file.contentType !== undefined && COMPRESSED_TYPE.test(file.contentType)) || COMPRESSED_EXT.test(file.fileName);
}

/** The archive every export writes (the benchmark's plain-archiver floor uses the same). */
export function createZip(): archiver.Archiver {
  return archiver('zip', { zlib: { level: 6 } });
}

/** "name.pdf", "name (2).pdf", … */
export function uniqueName(name: string, taken: Set<string>): string {
  const safe = safeFileName(name);
  let candidate = safe;
  const dot = safe.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, ''];
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/**
 * The zip entry of a file in a folder of the export: one plain name (no separators, no "..", no
 * drive letters, see safeFileName) under that folder, so that no entry unpacks outside it.
 */
export function entryName(folder: string, name: string): string {
  const safe = safeFileName(name);
  if (/[\\/]|^\.\.?$|^[a-z]:/i.test(safe)) throw new Error(`Unsafe export entry name: ${safe}`);
  return `${folder}/${safe}`;
}

export function exportFileName(subject: string, at = new Date()): string {
  const slug =
    subject
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/\s+/g, '-')
      .slice(0, 60) || 'chat';
  return `chatpro-${slug}-${at.toISOString().slice(0, 10)}.zip`;
}

/** Writes, waiting for the reader to catch up, or for `stopped` (nobody will read any more). */
async function write(stream: PassThrough, text: string, stopped: Promise<unknown>): Promise<void> {
  if (!stream.write(text)) await Promise.race([new Promise<void>((resolve) => stream.once('drain', resolve)), stopped]);
}

export async function streamExport(
  db: Db,
  out: Writable,
  opts: { groupId: string; subject: string; bodyHtml: string | null; bodyFiles?: { id: string; fileName: string; contentType?: string }[]; logger: Logger },
): Promise<void> {
  const zip = createZip();
  // The client may go away before the end (a closed tab, a lost network): then the archive is
  // abandoned, its queue dropped and this returns, rather than wait for a reader that is gone.
  let abandoned = false;
  const done = new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    out.on('error', reject);
    out.on('close', () => {
      if (!out.writableFinished) {
        abandoned = true;
        zip.abort();
      }
      resolve();
    });
    out.on('finish', resolve);
  });
  // Awaited at the end; meanwhile it only says when to stop.
  const stopped = done.catch(() => {});
  zip.on('warning', (err) => opts.logger.warn({ err }, 'export warning'));
  zip.pipe(out);
  const chat = new PassThrough();
  zip.append(chat, { name: 'chat.txt' });
  await write(chat, `\ufeff${opts.subject}\nEsportata il ${formatDateTime(new Date())}\n\n`, stopped);
  const files: { id: string; name: string; store: boolean }[] = [];
  const taken = new Set<string>();
  for (const f of opts.bodyFiles ?? []) files.push({ id: f.id, name: uniqueName(f.fileName, taken), store: isCompressed(f) });
  // The next page is read while this one is formatted and compressed; a page is one write.
  const pageAfter = (since: number) => {
    const page = messagesSince(db, opts.groupId, since, PAGE);
    // Awaited below; until then (or if the export fails first) its failure is not unhandled.
    page.catch(() => {});
    return page;
  };
  for (let pending = pageAfter(0); ; ) {
    const page = await pending;
    const more = page.hasMore && page.messages.length > 0;
    if (more) pending = pageAfter(page.messages.at(-1)!.seq);
    let lines = '';
    for (const m of page.messages) {
      const names = m.attachments.map((a) => {
        const name = uniqueName(a.fileName, taken);
        files.push({ id: a.id, name, store: isCompressed(a) });
        return name;
      });
      const text = m.body.replace(/\r\n?/g, '\n').replace(/\n/g, '\n    ');
      let line = `[${formatDateTime(new Date(m.createdAt))}] ${m.author.name}: ${text}`;
      if (names.length) line += `${text ? ' ' : ''}[allegati: ${names.map((n) => `attachments/${n}`).join(', ')}]`;
      lines += `${line}\n`;
    }
    await write(chat, lines, stopped);
    if (!more || abandoned) break;
  }
  chat.end();
  if (abandoned) return abandon(opts);
  if (opts.bodyHtml !== null) {
    zip.append(`<!doctype html><meta charset="utf-8"><title>${opts.subject.replace(/[<&]/g, '')}</title>\n${opts.bodyHtml}`, { name: 'corpo.html' });
  }
  await appendAhead(
    zip,
    opts.bodyHtml !== null ? 2 : 1,
    files.map((f) => () => ({ source: attachmentStream(db, f.id), name: entryName('attachments', f.name), store: f.store })),
    stopped,
  );
  if (abandoned) return abandon(opts);
  await zip.finalize();
  await done;
}

function abandon(opts: { groupId: string; logger: Logger }): void {
  opts.logger.info({ groupId: opts.groupId }, 'export abandoned by the client');
}

/**
 * How many attachments wait in archiver's queue beyond the one it is writing: the next one is
 * read while the current one is compressed, and no more.
 */
const AHEAD = 1;

/**
 * Appends the entries to the archive as it writes them, at most AHEAD + 1 in its queue at a time.
 * archiver pipes every appended stream at once into a PassThrough of its own (archiver-utils
 * normalizeInputSource), so appending every attachment up front would start every read together
 * and buffer each one's read-ahead until its turn: with a hundred files, hundreds of MiB.
 * `queuedBefore` entries were appended already (chat.txt, corpo.html): they end first.
 * Answers when every entry is appended, or when `stopped` settles first (the client went away,
 * the archive failed).
 */
async function appendAhead(
  zip: archiver.Archiver,
  queuedBefore: number,
  entries: (() => { source: Readable; name: string; store: boolean })[],
  stopped: Promise<void>,
): Promise<void> {
  if (entries.length === 0) return;
  let next = 0;
  // Entries in archiver's queue, the one being written included; they end in the order appended.
  let queued = queuedBefore;
  let onEntry = () => {};
  const appended = new Promise<void>((resolve) => {
    const fill = () => {
      while (queued <= AHEAD && next < entries.length) {
        const { source, name, store } = entries[next++]!();
        queued++;
        zip.append(source, { name, store });
      }
      if (next === entries.length) resolve();
    };
    onEntry = () => {
      queued--;
      fill();
    };
    fill();
  });
  zip.on('entry', onEntry);
  try {
    await Promise.race([appended, stopped]);
  } finally {
    zip.off('entry', onEntry);
  }
}
