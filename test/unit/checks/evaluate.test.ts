/** evaluateStates: partial progress, bad parameters, thrown errors and timeouts become named messages. */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { evaluateStates, partsFor, restrict } from '../../../engine/checks/evaluate.ts';
import { kinds } from '../../../engine/checks/index.ts';
import type { Condition } from '../../../engine/lessons/types.ts';
import { fixture } from './tester.ts';

const states = () => ({ host1: fixture('netns-veth').state });
/** The parameters of a kind's documented example (`kind: {…}` in YAML). */
function exampleParams(example: string, id: string): unknown {
  const doc = parseYaml(example) as unknown;
  const first = (Array.isArray(doc) ? doc[0] : doc) as Record<string, unknown>;
  return first[id];
}
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
  it('collects only what its conditions declare they read', () => {
    expect(partsFor([cond('netns', { name: 'ns1' })])).toEqual(['namespaces']);
    expect(partsFor([cond('container', { name: 'web', running: true })])).toEqual(['containers', 'images']);
    expect(partsFor([cond('shell', { run: 'true' })])).toEqual([]);
    expect(
      partsFor([cond('netns', { name: 'ns1' }), cond('daemon', { debug: true }), cond('netns', 'ns2')]),
    ).toEqual(['daemonInfo', 'daemonJson', 'namespaces', 'networks', 'sockets']);
    // A condition that does not validate reads nothing (lint reports it).
    expect(partsFor([cond('daemon', { nosuchkey: 1 })])).toEqual([]);
  });
  it("a kind's collection holds every part it reads, for every kind", () => {
    for (const k of Object.values(kinds)) {
      const parts = partsFor([cond(k.meta.id, exampleParams(k.meta.example, k.meta.id))]);
      for (const part of k.meta.reads) expect(parts, k.meta.id).toContain(part);
    }
  });
  it('a kind reading a part it did not declare is refused, not given an empty part', () => {
    const state = fixture('docker').state;
    const view = restrict(state, ['namespaces'], 'netns');
    expect(view.namespaces.length).toBeGreaterThan(0);
    expect(view.hostname).toBe(state.hostname);
    expect(() => view.docker.containers).toThrow(
      /"netns" kind read docker.containers without declaring "containers"/,
    );
    expect(() => view.iptables).toThrow(/"iptables"/);
    expect(() => view.docker.running).toThrow(/"containers" or/);
    const docker = restrict(state, ['imageHistory'], 'image');
    expect(docker.docker.images.length).toBeGreaterThan(0);
    expect(docker.docker.running).toBe(true);
  });
  it('a condition whose kind reads an undeclared part fails with a message naming it', async () => {
    const sneaky = {
      ...kinds.netns!,
      meta: { ...kinds.netns!.meta, id: 'sneaky', reads: ['namespaces'] as const },
      check: (
        _p: unknown,
        ctx: { host: string; states: Record<string, { docker: { containers: unknown[] } }> },
      ) => (ctx.states[ctx.host]!.docker.containers.length ? [] : []),
    };
    kinds.sneaky = sneaky as unknown as (typeof kinds)[string];
    try {
      const [r] = await evaluateStates([cond('sneaky', 'ns1')], states(), {
        exec: noExec,
        defaultHost: 'host1',
      });
      expect(r!.ok).toBe(false);
      expect(r!.messages[0]!.en).toMatch(/read docker.containers without declaring "containers"/);
    } finally {
      delete kinds.sneaky;
    }
  });
  it('every kind declares what it reads, and the probes of active kinds', () => {
    for (const k of Object.values(kinds)) {
      expect(Array.isArray(k.meta.reads), k.meta.id).toBe(true);
      if (['reach', 'http', 'file', 'shell'].includes(k.meta.id))
        expect(k.meta.probes?.length, k.meta.id).toBeGreaterThan(0);
    }
  });
});
