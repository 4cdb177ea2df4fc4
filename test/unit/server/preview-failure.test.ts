/**
 * The preview's words when no page came (issue 14): what is likely going on and what to do, never
 * curl's exit status. The codes are curl's own (curl(1) EXIT CODES); the real-lab browser test
 * (test/browser/way-out.test.ts) sees 56 from docker-proxy in front of a container with no server.
 */
import { describe, expect, it } from 'vitest';
import { previewFailure } from '../../../engine/server/preview.ts';

const at = { host: 'host1', port: 8080 };

describe('preview failure words', () => {
  it('a connection reset or an empty reply (56, 52): not answering yet, wait and reload', () => {
    for (const code of [56, 52]) {
      const w = previewFailure(at, code);
      expect(w.zh).toBe('端口 8080 还没有响应，容器起来了吗？稍等几秒再刷新。');
      expect(w.en).toMatch(/^Port 8080 is not answering yet/);
    }
  });

  it('nothing listening (7) points at docker ps and the published port', () => {
    const w = previewFailure(at, 7);
    expect(w.zh).toContain('host1 的 8080 端口上没有程序在监听');
    expect(w.zh).toContain('`docker ps`');
  });

  it('a timeout (28) says the server may still be starting', () => {
    expect(previewFailure(at, 28).zh).toContain('还在启动');
  });

  it('never speaks of curl or an exit status', () => {
    for (const code of [0, 1, 6, 7, 22, 28, 35, 52, 56, 255]) {
      const w = previewFailure(at, code);
      expect(`${w.zh}\n${w.en}`).not.toMatch(/curl|退出码|exit/i);
    }
  });
});
