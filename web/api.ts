/** JSON calls to the server; a failure throws an ApiFailure carrying the server's bilingual message. */
import type { ApiError, Text } from '../engine/protocol.ts';

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
