/** Which origins may post and open sockets, and which Host names the server answers to (DNS rebinding). */
import { describe, expect, it } from 'vitest';
import { rawRequest } from './fuzz-kit.ts';
import { testApp } from './harness.ts';
import { allowedHosts, allowedOrigins, hostAllowed } from '../../../engine/server/origin.ts';

describe('origins and hosts', () => {
  it('answers to localhost, 127.0.0.1, [::1] and DOCKERLAB_ORIGINS, and nothing else', () => {
    const hosts = allowedHosts(allowedOrigins(8080, 'http://Classroom.local:9000/, https://lab.example.edu'));
    for (const h of [
      'localhost:8080',
      '127.0.0.1:8080',
      '[::1]:8080',
      'classroom.local:9000',
      'CLASSROOM.local:9000',
      'lab.example.edu',
      'lab.example.edu:443',
    ])
      expect([h, hostAllowed(h, hosts)]).toEqual([h, true]);
    for (const h of [
      undefined,
      '',
      'localhost',
      'localhost:8081',
      'evil.example:8080',
      'classroom.local',
      '127.0.0.1.:8080',
    ])
      expect([h, hostAllowed(h, hosts)]).toEqual([h, false]);
  });

  it('refuses a DOCKERLAB_ORIGINS entry that is not an origin, saying how to write one', () => {
    for (const bad of ['classroom.local:8080', 'http://x/path', 'ftp://x', 'http://'])
      expect(() => allowedOrigins(8080, bad), bad).toThrow('scheme://host[:port]');
  });

  it('over HTTP: 421 for another Host, with what to set; the extra origin works', async () => {
    const app = await testApp({ origins: 'http://classroom.local:8080' });
    const get = (host: string) =>
      rawRequest(app.port, `GET /api/session HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    try {
      expect((await get(`localhost:${app.port}`)).status).toBe(200);
      expect((await get(`127.0.0.1:${app.port}`)).status).toBe(200);
      expect((await get('classroom.local:8080')).status).toBe(200);
      const rebound = await get(`rebind.evil.example:${app.port}`);
      expect(rebound.status).toBe(421);
      expect(rebound.text).toContain('DOCKERLAB_ORIGINS');
      expect(Buffer.from(rebound.text, 'latin1').toString('utf8')).toContain('这个服务器不认');
    } finally {
      await app.close();
    }
  });
});
