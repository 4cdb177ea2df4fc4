import { describe, expect, it } from 'vitest';
import { labGraph } from '../../../engine/topology/graph.ts';
import { layoutGraph, type Box } from '../../../engine/topology/layout.ts';
import { scene, svgString } from '../../../engine/topology/svg.ts';
import { describeText } from '../../../engine/topology/describe.ts';
import { recorded } from './states.ts';

const inside = (c: Box, p: Box) =>
  c.x >= p.x && c.y >= p.y && c.x + c.w <= p.x + p.w + 0.5 && c.y + c.h <= p.y + p.h + 0.5;

describe('layout (elkjs) and the SVG', () => {
  for (const state of ['veth-half', 'netns-veth', 'docker', 'bridge-ovs'])
    it(`${state}: every box sits inside its parent's box, every wire joins the boxes it names`, async () => {
      const g = labGraph({ host1: recorded(state) });
      const l = await layoutGraph(g, { lang: 'zh' });
      const boxes = new Map(l.boxes.map((b) => [b.id, b]));
      for (const n of g.nodes) {
        const b = boxes.get(n.id);
        if (!b || !n.parent) continue;
        expect(inside(b, boxes.get(n.parent)!), `${n.id} in ${n.parent}`).toBe(true);
      }
      for (const w of l.wires) {
        const [a, b] = [boxes.get(w.a)!, boxes.get(w.b)!];
        const near = (p: [number, number], x: Box) =>
          p[0] >= x.x - 1 && p[0] <= x.x + x.w + 1 && p[1] >= x.y - 1 && p[1] <= x.y + x.h + 1;
        const first = w.points[0]!;
        const last = w.points.at(-1)!;
        expect((near(first, a) && near(last, b)) || (near(first, b) && near(last, a)), w.id).toBe(true);
      }
    });

  it('lesson 15 done: the veth wire runs from a box inside ns1 to one inside ns2', async () => {
    const l = await layoutGraph(labGraph({ host1: recorded('netns-veth') }), { lang: 'en' });
    const wire = l.wires.find((w) => w.kind === 'veth')!;
    expect([wire.a, wire.b].sort()).toEqual(['host1/ns:ns1/if:veth-ns1', 'host1/ns:ns2/if:veth-ns2']);
  });

  it('loopback hidden by default, shown on demand; a closed box hides its children and takes their wires', async () => {
    const g = labGraph({ host1: recorded('docker') });
    const plain = await layoutGraph(g, { lang: 'zh' });
    expect(plain.boxes.some((b) => b.id.endsWith('/if:lo'))).toBe(false);
    const lo = await layoutGraph(g, { lang: 'zh', showLoopback: true });
    expect(lo.boxes.some((b) => b.id === 'host1/ctr:web/if:lo')).toBe(true);
    const mounts = await layoutGraph(g, { lang: 'en', showMounts: true });
    expect(mounts.boxes.find((b) => b.id === 'host1/ctr:v2')!.lines.map((l) => l.text)).toContain(
      '/root/container_data → /data (ro)',
    );
    expect(mounts.wires.filter((w) => w.kind === 'mount').map((w) => w.b)).toEqual(['host1/vol:dbdata']);
    expect(plain.boxes.some((b) => b.kind === 'volume')).toBe(false);
    const closed = await layoutGraph(g, { lang: 'zh', collapsed: new Set(['host1/ctr:web']) });
    const web = closed.boxes.find((b) => b.id === 'host1/ctr:web')!;
    expect(web).toMatchObject({ collapsed: true, compound: false, hidden: 1 });
    expect(closed.boxes.some((b) => b.id === 'host1/ctr:web/if:eth0')).toBe(false);
    expect(closed.wires.some((w) => w.kind === 'veth' && (w.a === web.id || w.b === web.id))).toBe(true);
  });

  it('names from the guest are escaped in the SVG text', async () => {
    const s = recorded('veth-half');
    s.namespaces[1]!.names = ['<script>x</script>&"'];
    const svg = svgString(scene(await layoutGraph(labGraph({ host1: s }), { lang: 'zh' }), { title: 't' }));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;&amp;');
    expect(svg).toContain('data-id="host1/ns:&lt;script&gt;x&lt;/script&gt;&amp;&quot;"');
  });

  it('the text alternative says what the diagram shows', () => {
    const zh = describeText(labGraph({ host1: recorded('veth-half') }), 'zh');
    expect(zh).toContain('veth-ns1，veth DOWN；veth 连到主机的网络命名空间里的 veth-ns2');
    const en = describeText(labGraph({ host1: recorded('docker') }), 'en');
    expect(en).toContain('container web, nginx · running, published 8080→80/tcp');
    expect(en).toMatch(
      /veth[0-9a-f]{7}, veth UP; port of bridge docker0 in host's network namespace; veth to eth0 in container web/,
    );
  });
});
