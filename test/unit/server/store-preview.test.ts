import { describe, expect, it } from 'vitest';
import { Store } from '../../../engine/server/store.ts';
import { curlScript, parseCurlResponse, parsePreviewPath } from '../../../engine/server/preview.ts';
import { decodeClientFrame, encodeClientFrame, splitInput } from '../../../engine/protocol.ts';

describe('progress store', () => {
  it('migrates once and keeps steps, hints and the current step per learner', () => {
    const s = new Store(':memory:');
    expect(s.schemaVersion).toBe(2);
    const a = s.createLearner();
    const b = s.createLearner('小王');
    s.markPassed(a.id, 'l', 0);
    s.setCurrentStep(a.id, 'l', 1);
    expect(s.openHint(a.id, 'l', 1, 2)).toBe(1);
    expect(s.openHint(a.id, 'l', 1, 2)).toBe(2);
    expect(s.openHint(a.id, 'l', 1, 2)).toBe(2);
    const p = s.progress(a.id, 'l');
    expect(p.currentStep).toBe(1);
    expect(p.steps.get(0)?.passed).toBe(true);
    expect(s.progress(b.id, 'l').steps.size).toBe(0);
    expect(s.learnerByName('小王')?.id).toBe(b.id);
    const secret = s.openSession(a.id);
    expect(s.session(secret)).toEqual({ learner: { id: a.id, name: null, hasPin: false }, legacy: false });
    expect(s.session(a.id)).toBeNull(); // the public id is not a credential
    s.endSession(secret);
    expect(s.session(secret)).toBeNull();
    s.close();
  });
});

describe('port preview', () => {
  it('accepts only key/host/port paths', () => {
    const key = 'AbCdEfGhIjKlMnOpQrStUv';
    expect(parsePreviewPath(`/preview/${key}/host1/8080/a/b?c=1`)).toEqual({
      key,
      host: 'host1',
      port: 8080,
      path: '/a/b?c=1',
    });
    expect(parsePreviewPath(`/preview/${key}/host2/80`)).toEqual({ key, host: 'host2', port: 80, path: '/' });
    expect(parsePreviewPath('/preview/host1/8080/')).toBeNull(); // no key
    expect(parsePreviewPath(`/preview/short/host1/80/`)).toBeNull();
    expect(parsePreviewPath(`/preview/${key}/10.0.0.1/80/`)).toBeNull();
    expect(parsePreviewPath(`/preview/${key}/host1/99999/`)).toBeNull();
  });

  it('quotes the path for the shell', () => {
    const script = curlScript(
      { key: 'k'.repeat(22), host: 'host1', port: 80, path: "/'; rm -rf /" },
      'GET',
      undefined,
      false,
    );
    expect(script).toContain(`'http://127.0.0.1:80/'\\''; rm -rf /'`);
  });

  it('skips 100 Continue and splits headers from a binary body', () => {
    const raw = Buffer.concat([
      Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n'),
      Buffer.from([0, 1, 2, 255]),
    ]);
    const r = parseCurlResponse(raw)!;
    expect(r.status).toBe(200);
    expect(r.headers).toEqual([['content-type', 'image/png']]);
    expect([...r.body]).toEqual([0, 1, 2, 255]);
  });
});

describe('protocol', () => {
  it('round-trips client frames and ignores unknown command bytes', () => {
    const f = { type: 'resize', cols: 120, rows: 40 } as const;
    expect(decodeClientFrame(encodeClientFrame(f))).toEqual(f);
    expect(decodeClientFrame(new Uint8Array([0x7a, 1]))).toBeNull();
    expect(decodeClientFrame(encodeClientFrame({ type: 'resize', cols: 0, rows: 40 }))).toBeNull();
  });
});

describe('input frames', () => {
  it('splits a paste into frames of at most 16 KiB, never inside a UTF-8 character', () => {
    const text = 'echo 汉字 😀 ok\r'.repeat(20_000); // 380 kB of 1-, 3- and 4-byte characters
    const bytes = new TextEncoder().encode(text);
    const frames = splitInput(bytes);
    expect(frames.length).toBeGreaterThan(bytes.length / 16_384);
    expect(Math.max(...frames.map((f) => f.length))).toBeLessThanOrEqual(16 * 1024);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    expect(frames.map((f) => decoder.decode(f)).join('')).toBe(text);
    expect(splitInput(new Uint8Array(0))).toEqual([]);
    // Small limits too: each frame still whole characters.
    const tiny = splitInput(new TextEncoder().encode('a😀b汉'), 4);
    expect(tiny.map((f) => decoder.decode(f))).toEqual(['a', '😀', 'b汉']);
  });
});
