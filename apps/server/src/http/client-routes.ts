/**
 * Which unmatched GET requests get the web UI's shell (client-side routes) rather than a 404.
 * Paths under the API, webhooks or built assets never do, nor a path that names a static file
 * by its extension; a dot elsewhere is part of a route (a flag key such as `checkout.new-flow`).
 */
const SERVER_PREFIXES = ['/api/', '/assets/', '/webhooks/', '/v2/'];
const FILE_EXTENSION =
  /\.(?:js|mjs|css|map|json|txt|xml|html?|ico|png|jpe?g|gif|svg|webp|avif|woff2?|ttf|otf|webmanifest|wasm|ics|csv)$/i;

export function isClientRoute(url: string): boolean {
  const pathname = url.split('?')[0] ?? '';
  if (SERVER_PREFIXES.some((prefix) => pathname.startsWith(prefix))) return false;
  const last = pathname.slice(pathname.lastIndexOf('/') + 1);
  return !FILE_EXTENSION.test(last);
}
