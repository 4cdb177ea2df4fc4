/**
 * Invariants of snapshots recorded from a real sandbox (test/fixtures/states), i.e. of what
 * inspect.py makes of the kernel's and Docker's answers: veth ends resolved across namespaces,
 * containers placed in their namespaces, `container:X` sharing resolved to one id.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '../checks/tester.ts';

const names = readdirSync(new URL('../../fixtures/states/', import.meta.url))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

describe('recorded snapshots', () => {
  it('exist', () => expect(names.length).toBeGreaterThanOrEqual(8));
  for (const name of names) {
    describe(name, () => {
      const { state } = fixture(name);
      it('are whole: no part failed, the host namespace first', () => {
        expect(state.version).toBe(1);
        expect(state.errors).toEqual([]);
        expect(state.namespaces[0]!.host).toBe(true);
        expect(state.namespaces.filter((n) => n.host)).toHaveLength(1);
        expect(state.processes.length).toBeGreaterThan(5);
      });
      it('resolve every veth end to its peer, both ways', () => {
        for (const ns of state.namespaces)
          for (const l of ns.links.filter((x) => x.kind === 'veth')) {
            expect(l.peer?.name, `${l.name} in ${ns.names[0] ?? ns.containers[0] ?? ns.id}`).toBeDefined();
            const other = state.namespaces.find((n) => n.id === l.peer!.ns)!;
            const back = other.links.find((x) => x.name === l.peer!.name)!;
            expect(back.peer).toMatchObject({ name: l.name, ns: ns.id });
          }
      });
      it('place each running container in a namespace that lists it', () => {
        for (const c of state.docker.containers.filter((x) => x.running)) {
          const ns = state.namespaces.find((n) => n.id === c.netns);
          expect(ns?.containers, c.name).toContain(c.name);
        }
      });
    });
  }
  it('see container:X sharing as one namespace', () => {
    const cs = fixture('docker').state.docker.containers;
    const id = (n: string) => cs.find((c) => c.name === n)!.netns;
    expect(id('joiner')).toBe(id('alpha'));
    expect(id('beta')).not.toBe(id('alpha'));
  });
  it('say when dockerd is stopped, and read the rest', () => {
    const { state } = fixture('docker-stopped');
    expect(state.docker.running).toBe(false);
    expect(state.docker.error).toBeTruthy();
    expect(state.namespaces[0]!.links.length).toBeGreaterThan(1);
    expect(state.iptables.available).toBe(true);
  });
  it('read OVS bridges with their tunnel ports', () => {
    const b = fixture('bridge-ovs').state.ovs.bridges.find((x) => x.name === 'obr0')!;
    expect(b.ports.flatMap((p) => p.interfaces)).toContainEqual({
      name: 'gre0',
      type: 'gre',
      options: { remote_ip: '192.168.56.12' },
    });
  });
});
