/** Serves the built web app from dist/ (vite build); unknown paths get index.html (hash routes need none). */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  const index = path.join(root, 'index.html');
  if (!fs.existsSync(index)) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      '网页还没有构建，请先运行 npx vite build\nThe web app is not built: run `npx vite build` first.\n',
    );
    return;
  }
  let file = path.normalize(path.join(root, decodeURIComponent(pathname)));
  // path.join after normalize cannot climb out of root unless the path has `..`; refuse those.
  if (!file.startsWith(root + path.sep) && file !== root) file = index;
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = index;
  const ext = path.extname(file);
  const headers: Record<string, string> = {
    'content-type': types[ext] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    // vite puts a content hash in asset names, so they never change; index.html always may.
    'cache-control': file.includes(`${path.sep}assets${path.sep}`)
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  };
  res.writeHead(200, headers);
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(file).pipe(res);
}
