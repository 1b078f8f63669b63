/**
 * The new text of an emailed reply: the quoted history, the attribution line above it ("On …
 * wrote:", "Il giorno … ha scritto:"), forwarded or original-message blocks, the signature after
 * "-- " and the "Sent from my iPhone" lines are removed, so that the chat gets what the guest wrote.
 */

const ATTRIBUTION_END = /\s(wrote|ha\s+scritto|a\s+écrit|schrieb|escribió|escreveu)\s*:\s*$/i;
const ATTRIBUTION_START = /^(on|il|le|am|el|em)\s/i;
const SEPARATOR = /^\s*-{2,}\s*(original message|messaggio originale|forwarded message|messaggio inoltrato|message d'origine)\s*-{2,}\s*$/i;
const OUTLOOK_RULE = /^\s*_{10,}\s*$/;
const HEADER_FROM = /^\s*\*?(from|da|de|von)\s*:\*?\s/i;
const HEADER_NEXT = /^\s*\*?(sent|date|inviato|data|to|a|subject|oggetto|cc|envoyé|gesendet)\s*:\*?\s/i;
const SIGNATURE = /^-- ?$/;
const MOBILE = [
  /^sent from my \w+/i,
  /^sent from (mail|outlook|yahoo mail)\b/i,
  /^get outlook for (ios|android)/i,
  /^inviato da (iphone|ipad|outlook|mail)\b/i,
  /^inviato dal mio \w+/i,
  /^scarica outlook per (ios|android)/i,
];

/** Index of the first line of the quoted part, or the number of lines when there is none. */
function cutIndex(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (SIGNATURE.test(line) || SEPARATOR.test(line)) return i;
    if (OUTLOOK_RULE.test(line) && lines.slice(i + 1, i + 4).some((l) => HEADER_FROM.test(l))) return i;
    if (HEADER_FROM.test(line) && lines.slice(i + 1, i + 3).some((l) => HEADER_NEXT.test(l))) return i;
    if (ATTRIBUTION_START.test(line.trim())) {
      // Gmail wraps a long attribution over two or three lines, even between "ha" and "scritto:".
      let joined = '';
      for (let k = 0; k < 3 && i + k < lines.length; k++) {
        if (k > 0 && lines[i + k]!.trim() === '') break;
        joined = `${joined} ${lines[i + k]!.trim()}`;
        if (ATTRIBUTION_END.test(joined)) return i;
      }
    }
  }
  return lines.length;
}

export function stripReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept = lines
    .slice(0, cutIndex(lines))
    // Inline answers between quoted lines stay; the quoted lines go.
    .filter((l) => !/^\s*>/.test(l))
    .map((l) => l.replace(/\s+$/, ''));
  while (kept.length && (kept.at(-1) === '' || MOBILE.some((re) => re.test(kept.at(-1)!.trim())))) kept.pop();
  while (kept.length && kept[0] === '') kept.shift();
  return kept.join('\n').replace(/\n{3,}/g, '\n\n');
}
