import type { Response } from 'express';
import type { Db } from '../db/index.ts';
import type { attachments } from '../db/schema.ts';
import { attachmentStream, contentDisposition } from '../services/attachments.ts';

/** Sends a stored file as a download that the browser can never run as a page. */
export function sendFile(res: Response, db: Db, file: typeof attachments.$inferSelect): void {
  res.set({
    'Content-Type': file.contentType,
    'Content-Length': String(file.size),
    'Content-Disposition': contentDisposition(file.fileName),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'private, no-store',
  });
  attachmentStream(db, file.id)
    .on('error', (err) => res.destroy(err))
    .pipe(res);
}
