/**
 * What an upload really is, by its leading bytes (magic numbers), against what the sender
 * declared. A declared type that we can recognise must match its bytes; an executable is accepted
 * only when declared as one (or as plain bytes); everything we cannot vouch for is kept as
 * `application/octet-stream`, so that it is only ever offered as a download.
 */
import { AppError } from '../http/errors.ts';

/** How many leading bytes are read before deciding. */
export const SNIFF_BYTES = 64;

type Kind = 'png' | 'jpeg' | 'gif' | 'webp' | 'pdf' | 'zip' | 'gzip' | 'executable';

const ascii = (bytes: Buffer, at: number, text: string) => bytes.subarray(at, at + text.length).toString('latin1') === text;

export function sniff(head: Buffer): Kind | null {
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'webp';
  if (ascii(head, 0, '%PDF-')) return 'pdf';
  if (ascii(head, 0, 'PK\x03\x04') || ascii(head, 0, 'PK\x05\x06')) return 'zip';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  const magic = head.length >= 4 ? head.readUInt32BE(0) : 0;
  if (ascii(head, 0, 'MZ') || ascii(head, 0, '\x7fELF') || [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) {
    return 'executable';
  }
  return null;
}

/** Declared types whose bytes we can check, and the kind they must be. */
const EXPECTED: [RegExp, Kind][] = [
  [/^image\/png$/, 'png'],
  [/^image\/(jpeg|jpg|pjpeg)$/, 'jpeg'],
  [/^image\/gif$/, 'gif'],
  [/^image\/webp$/, 'webp'],
  [/^application\/(pdf|x-pdf)$/, 'pdf'],
  [/^application\/(zip|x-zip-compressed|vnd\.openxmlformats-officedocument\..+|vnd\.oasis\.opendocument\..+|epub\+zip)$/, 'zip'],
  [/^application\/(gzip|x-gzip)$/, 'gzip'],
  [/^application\/(x-msdownload|x-dosexec|vnd\.microsoft\.portable-executable|x-executable|x-elf|x-mach-binary|x-sharedlib)$/, 'executable'],
];

/** Raster images a browser only ever draws: the one kind of file shown inline. */
export const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const DETECTED_TYPE: Partial<Record<Kind, string>> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf' };

export const OCTET_STREAM = 'application/octet-stream';

/**
 * The type to store for a file declared as `declared` whose first bytes are `head`, or a 415
 * `content_type_mismatch` when the bytes contradict the declaration.
 */
export function checkedContentType(declared: string, head: Buffer, fileName: string): string {
  const type = declared.toLowerCase();
  const actual = sniff(head);
  const expected = EXPECTED.find(([re]) => re.test(type))?.[1];
  if (expected) {
    if (actual !== expected) throw mismatch(fileName, type, actual);
    return type === 'image/jpg' || type === 'image/pjpeg' ? 'image/jpeg' : type;
  }
  if (actual === 'executable' && type !== OCTET_STREAM) throw mismatch(fileName, type, actual);
  // Declared as something we cannot check (text, unknown): only a download, unless the bytes are
  // a kind we know, declared loosely (e.g. a photo sent as application/octet-stream).
  return (actual && DETECTED_TYPE[actual]) ?? OCTET_STREAM;
}

function mismatch(fileName: string, declared: string, actual: Kind | null): AppError {
  return new AppError(
    415,
    'content_type_mismatch',
    `The content of "${fileName}" is not ${declared}${actual ? ` (it looks like ${actual === 'executable' ? 'a program' : actual})` : ''}`,
  );
}

/** The type a stored file is served with: only a checked type, else plain bytes. */
export function servedContentType(stored: string): string {
  return INLINE_TYPES.has(stored) || Object.values(DETECTED_TYPE).includes(stored) || EXPECTED.some(([re]) => re.test(stored)) ? stored : OCTET_STREAM;
}
