/** The server's public URL as seen from a page the server serves under `/addins/outlook/`. */
export function publicUrlOf(pageUrl: string): string {
  const at = pageUrl.indexOf('/addins/outlook/');
  return at >= 0 ? pageUrl.slice(0, at) : new URL(pageUrl).origin;
}
