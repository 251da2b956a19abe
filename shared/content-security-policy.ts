// One policy for every way the renderer is served: the <meta> tag Vite writes into index.html (Electron loads it
// from file:// or the dev server) and the header the loopback bridge sends. 'self' also covers the bridge's
// same-origin WebSocket.
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/** Vite's dev server injects CSS through <style> elements; only `vite serve` gets this relaxation. */
export const devContentSecurityPolicy = contentSecurityPolicy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

/** Directives a <meta> tag cannot carry; sent only as a header. */
export const headerOnlyDirectives = "frame-ancestors 'none'";
