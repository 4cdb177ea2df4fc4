/**
 * The inspector collects only the parts a step asks for: inspect.py's plan() (the parts, with what
 * each needs), its words against the TypeScript ones, and the containers it keeps between
 * snapshots, dropped by Docker's event log. inspect.py runs here under the host's python3 (its
 * pure functions only; the kernel and Docker parts are proven on a VM in test/sandbox/checks.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { partsOf } from '../../../engine/inspect/inspect.ts';
import { parts } from '../../../engine/inspect/types.ts';

const dir = fileURLToPath(new URL('../../../engine/inspect/', import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0;

/** Runs `code` with inspect.py imported as `I`; returns what it prints as JSON. */
function py(code: string): unknown {
  const out = execFileSync(
    'python3',
    [
      '-S',
      '-c',
      `import sys, json; sys.path.insert(0, ${JSON.stringify(dir)}); import importlib.util as u
spec = u.spec_from_file_location("I", ${JSON.stringify(dir + 'inspect.py')}); I = u.module_from_spec(spec); spec.loader.exec_module(I)
${code}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return JSON.parse(out) as unknown;
}

describe('the parts a snapshot is made of', () => {
  it('are asked for by name; a whole snapshot is every part but what `skip` leaves out', () => {
    expect(partsOf({})).toEqual([...parts].sort());
    expect(partsOf({ parts: ['ovs', 'namespaces', 'ovs'] })).toEqual(['namespaces', 'ovs']);
    expect(partsOf({ skip: ['info', 'history'] })).toEqual(
      [...parts].filter((p) => p !== 'daemonInfo').sort(),
    );
    expect(partsOf({ skip: ['images'] })).not.toContain('imageHistory');
  });

  // The host's python3 runs inspect.py's pure functions; without one there is nothing to run them with.
  describe.skipIf(!python)('inspect.py (host python3)', () => {
    it('knows the same words as types.ts', () => {
      expect(py('print(json.dumps(list(I.PARTS)))')).toEqual([...parts]);
    });
    it('adds what a part needs, and refuses words it does not know', () => {
      const plan = (asked: string) => py(`print(json.dumps(sorted(I.plan(${asked}))))`);
      expect(plan('["namespaces"]')).toEqual(['containers', 'namespaces']);
      expect(plan('["imageHistory"]')).toEqual(['imageHistory', 'images']);
      expect(plan('["images"]')).toEqual(['imageHistory', 'images']);
      expect(plan('[]')).toEqual([]);
      expect(plan('None')).toEqual([...parts].sort());
      expect(() => plan('["namespace"]')).toThrow(/unknown parts: namespace/);
    });
    it("finds the same namespaces with one stat per process as with the whole process scan (this machine's /proc)", () => {
      const r = py(`host = I.inode("/proc/self/ns/net")
full = [(p["pid"], p["ns"].get("net")) for p in I.scan_processes()]
light = I.netns_of_processes(host)
both = set(p for p, _ in full) & set(p for p, _ in light)
print(json.dumps({
  "kthreads": I.kernel_threads() is not None,
  "full": [[p, i] for p, i in full if p in both and i != host],
  "light": [[p, i] for p, i in light if p in both and i != host],
  "fullHost": [p for p, i in full if p in both and i == host][:8],
  "lightHost": [p for p, i in light if p in both and i == host],
}))`) as Record<string, unknown>;
      expect(r.light).toEqual(r.full);
      expect(r.lightHost).toEqual(r.fullHost);
      expect((r.lightHost as number[]).length).toBeGreaterThan(0);
    });
    it('reads OVS rows in OVSDB notation into bridges, ports and interfaces', () => {
      const bridges = py(`print(json.dumps(I.ovs_tables(
        [{"name": "obr0", "ports": ["set", [["uuid", "p1"], ["uuid", "p2"]]]}],
        [{"_uuid": ["uuid", "p1"], "name": "obr0", "interfaces": ["uuid", "i1"]},
         {"_uuid": ["uuid", "p2"], "name": "gre0", "interfaces": ["uuid", "i2"]}],
        [{"_uuid": ["uuid", "i1"], "name": "obr0", "type": "internal", "options": ["map", []]},
         {"_uuid": ["uuid", "i2"], "name": "gre0", "type": "gre", "options": ["map", [["remote_ip", "10.0.0.2"]]]}])))`);
      expect(bridges).toEqual([
        {
          name: 'obr0',
          ports: [
            { name: 'obr0', interfaces: [{ name: 'obr0', type: 'internal', options: {} }] },
            { name: 'gre0', interfaces: [{ name: 'gre0', type: 'gre', options: { remote_ip: '10.0.0.2' } }] },
          ],
        },
      ]);
    });
    it("drops a container's kept inspect on any event that names it, and everything on what it cannot place", () => {
      const after = (events: string) =>
        py(`c = I.Containers(); c.since = 1.0; c.ids = ["a", "b", "c"]
c.inspects = {"a": {}, "b": {}, "c": {}}
for e in ${events}: c.forget(e)
print(json.dumps({"ids": c.ids, "kept": sorted(c.inspects), "since": c.since}))`);
      // A container event: that one again, and the listing (it may be new, gone or renamed).
      expect(after('[{"Type": "container", "Action": "update", "Actor": {"ID": "b"}}]')).toEqual({
        ids: null,
        kept: ['a', 'c'],
        since: 1,
      });
      // A network (dis)connect or a volume mount names its container.
      expect(
        after(
          '[{"Type": "network", "Action": "disconnect", "Actor": {"ID": "n1", "Attributes": {"container": "c"}}}]',
        ),
      ).toEqual({ ids: ['a', 'b', 'c'], kept: ['a', 'b'], since: 1 });
      // Events about images change no container.
      expect(after('[{"Type": "image", "Action": "tag", "Actor": {"ID": "sha256:x"}}]')).toEqual({
        ids: ['a', 'b', 'c'],
        kept: ['a', 'b', 'c'],
        since: 1,
      });
      // The guest's clock went back (the log's times mean nothing now): nothing is kept, and
      // the log is not asked (a `since` after `until` would read as "dockerd is not answering").
      expect(
        py(`import time
c = I.Containers(); c.daemon = (I.read("/var/run/docker.pid") or "").strip(); c.since = time.time() + 100
c.ids = ["a"]; c.inspects = {"a": {}}
I.api_text = None  # any call to dockerd would fail here
c.sync()
print(json.dumps({"ids": c.ids, "kept": sorted(c.inspects), "past": c.since < time.time()}))`),
      ).toEqual({ ids: null, kept: [], past: true });
      // A container event without an id, or a daemon reload: nothing is kept.
      for (const e of ['{"Type": "container", "Action": "x"}', '{"Type": "daemon", "Action": "reload"}'])
        expect(after(`[${e}]`)).toEqual({ ids: null, kept: [], since: null });
    });
  });
});
