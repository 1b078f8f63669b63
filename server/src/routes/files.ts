import type { Response } from 'express';
import type { Db } from '../db/index.ts';
import type { attachments } from '../db/schema.ts';
import { attachmentStream, contentDisposition } from '../services/attachments.ts';
import { INLINE_TYPES, servedContentType } from '../services/fileTypes.ts';

/**
 * Sends a stored file so that the browser can never run it as a page: a raster image (checked by
 * its bytes at upload) is shown inline, everything else is a download, never sniffed, sandboxed.
 */
export function sendFile(res: Response, db: Db, file: typeof attachments.$inferSelect): void {
  const type = servedContentType(file.contentType);
  res.set({
    'Content-Type': type,
    'Content-Length': String(file.size),
    'Content-Disposition': contentDisposition(file.fileName, INLINE_TYPES.has(type) ? 'inline' : 'attachment'),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'private, no-store',
  });
  attachmentStream(db, file.id, file.size)
    .on('error', (err) => res.destroy(err))
    .pipe(res);
}
