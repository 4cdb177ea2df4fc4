/** Serves the built web app from dist/ (vite build); unknown paths get index.html (hash routes need none). */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { appCsp } from './csp.ts';
import { decodeOrNull } from './request.ts';
import { logger } from '../log.ts';

const log = logger('static');

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
  const decoded = decodeOrNull(pathname);
  if (decoded === null || decoded.includes('\0')) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`网址里的 % 编码不对 / the URL's %-escapes are not valid: ${pathname.slice(0, 200)}\n`);
    return;
  }
  let file = path.normalize(path.join(root, decoded));
  // path.join after normalize cannot climb out of root unless the path has `..`; refuse those.
  if (!file.startsWith(root + path.sep) && file !== root) file = index;
  if (!isFile(file)) file = index;
  const ext = path.extname(file);
  const headers: Record<string, string> = {
    'content-type': types[ext] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    // vite puts a content hash in asset names, so they never change; index.html always may.
    'cache-control': file.includes(`${path.sep}assets${path.sep}`)
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  };
  // The app's pages carry a CSP (csp.ts); index.html is small, read again for its inline hashes.
  if (ext === '.html')
    headers['content-security-policy'] = appCsp(fs.readFileSync(file, 'utf8'), req.headers.host);
  res.writeHead(200, headers);
  if (req.method === 'HEAD') res.end();
  else
    pipeline(fs.createReadStream(file), res, (e) => {
      // A file that vanished mid-read, or a browser that went away: end this answer, nothing else.
      if (e && e.code !== 'ERR_STREAM_PREMATURE_CLOSE')
        log.warn('static file failed', { file, error: e.message });
    });
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false; // missing, a name too long, a path through a file: all "not here"
  }
}
