/** JSON calls to the server; a failure throws an ApiFailure carrying the server's bilingual message. */
import {
  apiPath,
  routeMethod,
  type ApiError,
  type ApiRoute,
  type ApiRoutes,
  type RouteParams,
  type Text,
} from '../engine/protocol.ts';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly text: Text,
  ) {
    super(text.en);
  }
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, {
      zh: '连不上服务器，请检查它是否还在运行。',
      en: 'Cannot reach the server: is it still running?',
    });
  }
  const value = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const text = (value as ApiError | null)?.error ?? {
      zh: `请求失败（${res.status}）`,
      en: `request failed (${res.status})`,
    };
    throw new ApiFailure(res.status, text);
  }
  return value as T;
}

/**
 * Calls a route of ApiRoutes by name, e.g. `call('POST /api/lab/reset', {}, { lesson })`; the body
 * and the answer are typed by the route. `query` is added as it is (e.g. `?lang=en`).
 */
export function call<R extends ApiRoute>(
  route: R,
  params: RouteParams<R>,
  ...[body, query]: ApiRoutes[R]['body'] extends null
    ? [body?: null, query?: string]
    : [body: ApiRoutes[R]['body'], query?: string]
): Promise<ApiRoutes[R]['reply']> {
  return api<ApiRoutes[R]['reply']>(
    routeMethod(route),
    apiPath(route, params) + (query ?? ''),
    body ?? undefined,
  );
}
