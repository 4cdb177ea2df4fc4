/** evaluateStates: partial progress, bad parameters, thrown errors and timeouts become named messages. */
import { describe, expect, it } from 'vitest';
import { evaluateStates, skippable } from '../../../engine/checks/evaluate.ts';
import { kinds } from '../../../engine/checks/index.ts';
import type { Condition } from '../../../engine/lessons/types.ts';
import { fixture } from './tester.ts';

const states = () => ({ host1: fixture('netns-veth').state });
const noExec = () => Promise.reject(new Error('guest unreachable'));

describe('evaluateStates', () => {
  it('reports each condition on its own, in zh and en', async () => {
    const r = await evaluateStates(
      [
        { kind: 'netns', params: { name: 'ns1' }, line: 3 },
        { kind: 'netns', params: { name: 'ns9' }, line: 4 },
      ],
      states(),
      { exec: noExec, defaultHost: 'host1' },
    );
    expect(r.map((c) => c.ok)).toEqual([true, false]);
    expect(r[1]!.messages[0]!.zh).toMatch(/没有命名空间 ns9（`ip netns list` 里有：ns1, ns2）/);
    expect(r[1]!.messages[0]!.en).toMatch(/there is no netns ns9/);
  });
  it('turns bad parameters into a message with the line', async () => {
    const [r] = await evaluateStates([{ kind: 'veth', params: { end: [] }, line: 12 }], states(), {
      exec: noExec,
      defaultHost: 'host1',
    });
    expect(r!.ok).toBe(false);
    expect(r!.messages[0]!.en).toMatch(/bad check \(line 12\)/);
  });
  it('names the kind and line when a probe throws', async () => {
    const [r] = await evaluateStates([{ kind: 'shell', params: { script: 'true' }, line: 7 }], states(), {
      exec: noExec,
      defaultHost: 'host1',
    });
    expect(r!.ok).toBe(false);
    expect(r!.messages[0]!.en).toMatch(
      /CheckError: check "shell" \(line 7\) on host1 failed: guest unreachable/,
    );
  });
  it('a condition on a host the lab lacks fails readably', async () => {
    const [r] = await evaluateStates(
      [{ kind: 'netns', params: { name: 'ns1', host: 'host2' }, line: 1 }],
      states(),
      { exec: noExec, defaultHost: 'host1' },
    );
    expect(r!.messages[0]!.en).toBe('the lab has no host host2');
  });
  it('turns a probe that never ends into a named timeout', async () => {
    const hang = () => new Promise<never>(() => {});
    const [r] = await evaluateStates(
      [{ kind: 'shell', params: { script: 'sleep 1000' }, line: 9 }],
      states(),
      { exec: hang, defaultHost: 'host1', timeoutMs: { passive: 50, active: 50 } },
    );
    expect(r!.messages[0]!.en).toMatch(
      /CheckTimeoutError: check "shell" \(line 9\) on host1 timed out after 50 ms/,
    );
  });
  it('marks weak evidence', async () => {
    const [r] = await evaluateStates(
      [{ kind: 'history', params: { command: 'ip netns add' }, line: 1 }],
      states(),
      { exec: noExec, defaultHost: 'host1' },
    );
    expect(r!.weak).toBe(true);
  });
});

describe('what a step reads', () => {
  const cond = (kind: string, params: unknown): Condition => ({ kind, params, line: 1 });
  it('leaves out of the snapshot what no condition declares it reads', () => {
    expect(skippable([cond('netns', { name: 'ns1' })])).toEqual(['info', 'images', 'history']);
    expect(skippable([cond('container', { name: 'web', running: true })])).toEqual(['info', 'history']);
    expect(skippable([cond('image', { name: 'x' })])).toEqual(['info']);
    expect(skippable([cond('daemon', { debug: true })])).toEqual(['images', 'history']);
    // A condition that does not validate reads nothing (lint reports it).
    expect(skippable([cond('daemon', { nosuchkey: 1 })])).toEqual(['info', 'images', 'history']);
  });
  it('every kind declares what it reads, and the probes of active kinds', () => {
    for (const k of Object.values(kinds)) {
      expect(Array.isArray(k.meta.reads), k.meta.id).toBe(true);
      if (['reach', 'http', 'file', 'shell'].includes(k.meta.id))
        expect(k.meta.probes?.length, k.meta.id).toBeGreaterThan(0);
    }
  });
});
