/**
 * The spare shell when the learner's shell cannot start (an `exit` in root's .bashrc): the real
 * agent makes it again after a wait that doubles each time, not every 10 s forever, and at once
 * after a terminal was opened (the learner may have mended the file).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestClient } from '../../../engine/sandbox/client.ts';
import { startAgent, until, type RunningAgent } from './agent-harness.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-spare-'));
const starts = path.join(dir, 'starts');
let agent: RunningAgent;
let client: GuestClient;

/** How many login shells the agent has started so far. */
const started = () => (fs.existsSync(starts) ? fs.readFileSync(starts, 'utf8').length : 0);

beforeAll(async () => {
  agent = await startAgent(dir, {
    env: {
      // A login shell that dies at once, as with `exit` in .bashrc; it leaves one byte per start.
      DOCKERLAB_LOGIN_SHELL: JSON.stringify(['bash', '-c', `printf x >> ${starts}; exit 1`]),
      DOCKERLAB_SPARE_STATUS: path.join(dir, 'spare'),
      DOCKERLAB_SPARE_RETRY_S: '0.2', // then 0.4, 0.8, 1.6, ...
    },
  });
  client = await GuestClient.connect(agent.sock);
});

afterAll(() => {
  client?.close();
  agent?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a spare shell that cannot start', () => {
  it('is tried again after a wait that doubles, and at once after a terminal', async () => {
    await until(() => started() >= 1, 'the first spare');
    await new Promise((r) => setTimeout(r, 4000));
    // Starts at ~0, 0.2, 0.6, 1.4 and 3.0 s: five (each death takes a moment to be seen, so a
    // loaded machine sees fewer); a fixed 0.2 s wait would have made about twenty.
    const inFour = started();
    expect(inFour).toBeGreaterThanOrEqual(3);
    expect(inFour).toBeLessThanOrEqual(7);
    // The next wait is 3.2 s or more; a terminal (its own shell dies at once too) resets it.
    const shell = client.open({ pty: true, cols: 80, rows: 24 });
    await new Promise((r) => shell.once('exit', r));
    const afterTerminal = started();
    await until(() => started() > afterTerminal, 'a spare at once after the terminal', 1500);
  });
});
