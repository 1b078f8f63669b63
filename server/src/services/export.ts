/**
 * Export of a conversation as a .zip, streamed: chat.txt (one line per message), the context
 * body when it may be shown, and every attachment under attachments/ with a safe, unique name.
 */
import { PassThrough, type Writable } from 'node:stream';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import { attachmentStream, safeFileName } from './attachments.ts';
import { messagesSince } from './chat.ts';
import { formatDateTime } from './time.ts';
import { ZipWriter, type ZipEntry } from './zip.ts';

/**
 * Messages per query: the next page is read while this one is written. A message may be 10,000
 * characters, so a page of 2,000 could hold 20 MB of text, twice over with the next page read
 * ahead and again as chat.txt's lines; 500 bound that to a quarter, and an export of 10,000
 * short messages took no longer (0.88-0.94× plain archiver in the bench, against 0.93-1.0×).
 */
const PAGE = 500;

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

/**
 * Attachments prepared (read and deflated) ahead of the one being written: two, so that two
 * deflates can run on the threadpool while the response is written (with one, files that
 * alternate stored and deflated left a core idle). Each holds at most BUFFER_BYTES of output
 * and its source's read-ahead (about 3 MiB, see attachmentStream).
 */
const AHEAD = 2;
/** Compressed output a prepared attachment holds before its reading pauses: a 2 MiB CSV's whole (~0.6 MiB). */
const BUFFER_BYTES = 1024 * 1024;

/** Writes, waiting for the reader to catch up, or for `stopped` (nobody will read any more). */
async function write(stream: PassThrough, text: string, stopped: Promise<unknown>): Promise<void> {
  if (!stream.write(text)) await Promise.race([new Promise<void>((resolve) => stream.once('drain', resolve)), stopped]);
}

export interface ExportOptions {
  groupId: string;
  subject: string;
  bodyHtml: string | null;
  bodyFiles?: { id: string; fileName: string; size: number; contentType?: string }[];
  logger: Logger;
}

export async function streamExport(db: Db, out: Writable, opts: ExportOptions): Promise<void> {
  const exportedAt = new Date();
  const zip = new ZipWriter(out, { date: exportedAt, bufferBytes: BUFFER_BYTES });
  // The client may go away before the end (a closed tab, a lost network): then the archive
  // fails, its sources are dropped and this returns, rather than wait for a reader that is gone.
  let abandoned = false;
  out.once('close', () => (abandoned = !out.writableFinished));
  try {
    // chat.txt may still be compressing: the next entries are prepared meanwhile, and its failure
    // would fail them and finish() too.
    const files = await writeChat(db, zip, exportedAt, opts);
    if (opts.bodyHtml !== null) {
      void zip.add({ name: 'corpo.html', source: `<!doctype html><meta charset="utf-8"><title>${opts.subject.replace(/[<&]/g, '')}</title>\n${opts.bodyHtml}`, store: false });
    }
    await zip.addAll(attachmentEntries(db, files), AHEAD);
    await zip.finish();
  } catch (err) {
    zip.abort();
    if (!abandoned) throw err;
    opts.logger.info({ groupId: opts.groupId }, 'export abandoned by the client');
  }
}

interface ExportFile {
  id: string;
  name: string;
  size: number;
  store: boolean;
}

/**
 * Adds chat.txt, one line per message, page after page: the next page is read while this one is
 * formatted and compressed. Answers, once the last line is given to it, the files to export: the
 * body's, then the messages' (with the unique names the lines gave them).
 */
async function writeChat(db: Db, zip: ZipWriter, exportedAt: Date, opts: ExportOptions): Promise<ExportFile[]> {
  const chat = new PassThrough();
  // The archive failed (the client went away, a source failed): no more pages.
  let failed = false;
  const stopped = zip.add({ name: 'chat.txt', source: chat, store: false }).catch(() => (failed = true));
  await write(chat, `\ufeff${opts.subject}\nEsportata il ${formatDateTime(exportedAt)}\n\n`, stopped);
  const files: ExportFile[] = [];
  const taken = new Set<string>();
  for (const f of opts.bodyFiles ?? []) files.push({ id: f.id, name: uniqueName(f.fileName, taken), size: f.size, store: isCompressed(f) });
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
        files.push({ id: a.id, name, size: a.size, store: isCompressed(a) });
        return name;
      });
      const text = m.body.replace(/\r\n?/g, '\n').replace(/\n/g, '\n    ');
      let line = `[${formatDateTime(new Date(m.createdAt))}] ${m.author.name}: ${text}`;
      if (names.length) line += `${text ? ' ' : ''}[allegati: ${names.map((n) => `attachments/${n}`).join(', ')}]`;
      lines += `${line}\n`;
    }
    // A page is one write.
    await write(chat, lines, stopped);
    if (!more || failed) break;
  }
  chat.end();
  return files;
}

/** The attachments' entries, each opened only when the archive takes it (AHEAD of its writing). */
function* attachmentEntries(db: Db, files: ExportFile[]): Iterable<ZipEntry> {
  for (const f of files) yield { name: entryName('attachments', f.name), source: attachmentStream(db, f.id, f.size), store: f.store };
}
