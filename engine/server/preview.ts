/**
 * Port preview: `/preview/<key>/<host>/<port>/<path>` shows what a web server inside the learner's
 * own VM answers, by running curl in the guest over the guest channel (the VM has no route to us
 * and we none to it). Only GET/HEAD/POST, bodies up to `maxBodyBytes`; good enough for the course's
 * nginx and Flask pages.
 *
 * Who may see it: whoever holds the URL. `<key>` is 128 random bits of the learner's workspace,
 * handed to their page only (in the `ready` lab status), and it is the whole credential: no cookie
 * is needed, because a preview page runs sandboxed (an opaque origin, see below), so its own form
 * POSTs arrive with `Origin: null` and, being cross-site to the browser, without our SameSite
 * cookie. What keeps other sites out is the key (they cannot know it), the origin rule of
 * `previewOriginAllowed`, and `Referrer-Policy: no-referrer` (a link out of a preview does not
 * tell the key to the site it leads to). The app's own routes keep refusing `Origin: null`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Text } from '../protocol.ts';
import type { Lab } from '../sandbox/api.ts';

const maxBodyBytes = 1024 * 1024;
const curlTimeoutS = 10;
/**
 * The response headers a preview passes on, and no others: what a page needs to show, cache and
 * redirect. Left out on purpose: set-cookie (it would land on our origin), content-security-policy
 * and anything CORS or HSTS (ours decide), refresh and link (navigation and preloads we did not
 * vet), and the hop-by-hop and length headers (we re-frame the body ourselves).
 */
const passed = new Set([
  'content-type',
  'content-language',
  'content-disposition',
  'cache-control',
  'expires',
  'last-modified',
  'etag',
  'vary',
  'location',
  'allow',
  'retry-after',
  'www-authenticate',
]);

export interface PreviewTarget {
  key: string;
  host: string;
  port: number;
  path: string;
}

export function parsePreviewPath(url: string): PreviewTarget | null {
  const m = /^\/preview\/([\w-]{16,64})\/(host\d+)\/(\d{1,5})(\/.*)?$/.exec(url);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { key: m[1]!, host: m[2]!, port, path: m[4] ?? '/' };
}

/**
 * A preview accepts requests with no Origin (typed in the address bar, a link), `null` (its own
 * sandboxed pages) or one of the app's origins; a page of any other site is refused.
 */
export function previewOriginAllowed(origin: string | undefined, allowed: Set<string>): boolean {
  return origin === undefined || origin === 'null' || allowed.has(origin);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlScript(
  t: PreviewTarget,
  method: string,
  contentType: string | undefined,
  hasBody: boolean,
): string {
  const args = ['curl', '-s', '-i', '--max-time', String(curlTimeoutS)];
  args.push(...(method === 'HEAD' ? ['-I'] : ['-X', method]));
  if (contentType) args.push('-H', shellQuote(`Content-Type: ${contentType}`));
  if (hasBody) args.push('--data-binary', '@-');
  args.push(shellQuote(`http://127.0.0.1:${t.port}${t.path}`));
  // base64 keeps binary bodies (images) intact through the text channel.
  return `${args.join(' ')} | base64 -w0; exit "\${PIPESTATUS[0]}"`;
}

export interface ParsedResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

/** Splits curl -i output; skips interim 1xx answers (100 Continue) that precede the real one. */
export function parseCurlResponse(raw: Buffer): ParsedResponse | null {
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')?.[1]);
    if (!status) return null;
    rest = rest.subarray(end + 4);
    if (status >= 100 && status < 200) continue;
    const headers = lines.slice(1).flatMap((l): [string, string][] => {
      const i = l.indexOf(':');
      return i > 0 ? [[l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()]] : [];
    });
    return { status, headers, body: rest };
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > maxBodyBytes) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * What a learner reads when the page did not come: in the words of what is likely going on, not
 * curl's exit status (`curl: (56)` meant nothing to anyone). By curl's code: 7, nothing listens;
 * 52 and 56, something took the connection and closed it (docker-proxy answers for a container
 * whose server is still starting); 28, no answer within `curlTimeoutS`.
 */
export function previewFailure(t: Pick<PreviewTarget, 'host' | 'port'>, curlCode: number): Text {
  const { host, port } = t;
  switch (curlCode) {
    case 7:
      return {
        zh: `${host} 的 ${port} 端口上没有程序在监听：容器起来了吗？端口映射对吗（\`docker ps\` 的 PORTS 一栏）？`,
        en: `Nothing listens on port ${port} of ${host}: is the container up, and is the port published (the PORTS column of \`docker ps\`)?`,
      };
    case 28:
      return {
        zh: `端口 ${port} 在 ${curlTimeoutS} 秒内没有回应：里面的程序可能还在启动。稍等几秒再刷新。`,
        en: `Port ${port} did not answer within ${curlTimeoutS} s: the server inside may still be starting. Wait a few seconds and reload.`,
      };
    default:
      // 52, 56 and the rest: a connection that came to nothing.
      return {
        zh: `端口 ${port} 还没有响应，容器起来了吗？稍等几秒再刷新。`,
        en: `Port ${port} is not answering yet. Is the container up? Wait a few seconds and reload.`,
      };
  }
}

function fail(res: ServerResponse, status: number, zh: string, en: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${zh}\n${en}\n`);
}

export async function servePreview(
  lab: Lab | null,
  t: PreviewTarget,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!lab) return fail(res, 409, '你的实验机器还没有启动。', 'Your lab is not running.');
  const host = lab.hosts.find((h) => h.name === t.host);
  if (!host) return fail(res, 404, `你的实验环境里没有 ${t.host}。`, `Your lab has no ${t.host}.`);
  const method = req.method ?? 'GET';
  if (!['GET', 'HEAD', 'POST'].includes(method))
    return fail(res, 405, '预览只支持 GET、HEAD、POST。', 'Preview supports GET, HEAD and POST only.');
  const body = method === 'POST' ? await readBody(req) : undefined;
  const r = await host.exec(curlScript(t, method, req.headers['content-type'], body !== undefined), {
    timeoutMs: (curlTimeoutS + 5) * 1000,
    stdin: body,
  });
  const parsed = r.code === 0 ? parseCurlResponse(Buffer.from(r.stdout, 'base64')) : null;
  if (!parsed) {
    const why = previewFailure(t, r.code);
    return fail(res, 502, why.zh, why.en);
  }
  const prefix = `/preview/${t.key}/${t.host}/${t.port}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of parsed.headers) {
    if (!passed.has(k)) continue;
    // A redirect to /x inside the VM must stay inside the preview.
    headers[k] = k === 'location' && v.startsWith('/') ? prefix + v : v;
  }
  // The page comes from the learner's VM: give it an opaque origin so its scripts cannot use our
  // API with the learner's cookie.
  headers['content-security-policy'] = 'sandbox allow-scripts allow-forms allow-popups';
  headers['referrer-policy'] = 'no-referrer';
  headers['x-content-type-options'] = 'nosniff';
  headers['content-length'] = String(parsed.body.length);
  res.writeHead(parsed.status, headers);
  res.end(method === 'HEAD' ? undefined : parsed.body);
}
