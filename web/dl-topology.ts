import { LitElement, html, nothing, unsafeCSS, type PropertyValues } from 'lit';
import type { CheckView, ServerEvent, Text } from '../engine/protocol.ts';
import type { Graph, HistoryEntry, TopologyView } from '../engine/topology/types.ts';
// The layout (and elkjs, ~1.5 MB) is loaded on the first draw, not with the page.
import type { Box, Layout } from '../engine/topology/layout.ts';
import { scene, topologyCss } from '../engine/topology/svg.ts';
import { describeGraph, type Item } from '../engine/topology/describe.ts';
import { focusGraph } from '../engine/topology/focus.ts';
import { ApiFailure, call } from './api.ts';
import { SettingsController, currentLang, t } from './i18n.ts';
import { toDom } from './topology-dom.ts';
import { PanZoom } from './pan-zoom.ts';
import { animateMs, panelStyles } from './topology-styles.ts';

/**
 * The learner's lab as a diagram: namespaces and containers as boxes, interfaces inside them,
 * veth pairs, bridge ports, tunnels and the LAN as wires (laid out by elkjs), refreshed after each
 * command (the server's `command` event, the auto-check's trigger), with what that command changed
 * listed below and kept per step. Pan (drag, arrow keys), zoom (wheel, +/−, 0 to fit), fold a box
 * (click it, or Enter). The same facts as a nested list for screen readers.
 *
 * With `compact` and `show` it is a lesson's small live diagram (a ```topology block, rendered by
 * web/markdown.ts): no toolbar and no history; its lesson is the one of the page around it.
 */
export class DlTopology extends LitElement {
  static properties = {
    lessonId: { attribute: 'lesson-id' },
    active: { type: Boolean, reflect: true },
    show: {},
    compact: { type: Boolean, reflect: true },
    host: {},
    view: { state: true },
    error: { state: true },
    showLoopback: { state: true },
    showMounts: { state: true },
    failed: { state: true },
    loading: { state: true },
    picked: { state: true },
  };
  declare lessonId: string;
  /** The panel is on screen (its tab is selected): draw only then. */
  declare active: boolean;
  /** Names to show only (`ns1 ns2`, `docker0`): a lesson's small live diagram (see focus.ts). */
  declare show: string;
  /** A small diagram inside a lesson's text: no toolbar, no history. */
  declare compact: boolean;
  declare view: TopologyView | null;
  declare error: Text | null;
  /** `all`, or one VM's name (the toolbar's choice, or a lesson block's `host:`). */
  declare host: string;
  declare showLoopback: boolean;
  declare showMounts: boolean;
  /** Messages of the conditions the last check failed on (the objects they name are marked). */
  declare failed: { messages: Text[] } | null;
  declare loading: boolean;
  /** The history entry whose objects are highlighted (by seq). */
  declare picked: number | null;

  // Re-renders on a language change.
  protected readonly settings = new SettingsController(this);
  private collapsed = new Set<string>();
  private layout: Layout | null = null;
  /** What the picture on screen was drawn from (graph and options), to skip an identical redraw. */
  private shown = '';
  private drawn = '';
  private drawing = 0;
  private readonly pz = new PanZoom(
    () => this.viewport(),
    () => this.renderRoot.querySelector<HTMLElement>('.canvas'),
    () => this.layout,
  );
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** The step the learner was on when the last command ran. */
  private lastStep: number | null = null;
  /** A check of this lesson is running: refresh after it, so the two snapshots do not share the VM. */
  private checkRunning = false;
  /** Numbers each fetch: an answer that comes after a newer one's is dropped. */
  private fetches = 0;
  /** Milliseconds of the last layout + draw (read by the benchmark). */
  lastDrawMs = 0;
  /** `takenAt` of the snapshot on screen (tests wait for it). */
  drawnAt = '';

  constructor() {
    super();
    this.lessonId = '';
    this.active = false;
    this.show = '';
    this.compact = false;
    this.view = null;
    this.error = null;
    this.host = 'all';
    this.showLoopback = false;
    this.showMounts = false;
    this.failed = null;
    this.loading = false;
    this.picked = null;
  }

  /**
   * A command ended (or a skip ran a solution): refresh. The auto-check starts at the same moment
   * (`checking` right after `command`); then the refresh waits for its result, since a snapshot
   * beside the check's would slow the ✓ down (two inspections at once in a TCG guest).
   */
  private readonly onServerEvent = (e: Event): void => {
    const ev = (e as CustomEvent<ServerEvent>).detail;
    switch (ev.type) {
      case 'command':
        if (ev.lessonId !== this.lessonId) return;
        this.lastStep = ev.step;
        if (!this.checkRunning) this.scheduleRefresh();
        return;
      case 'checking':
        if (ev.lessonId !== this.lessonId) return;
        this.checkRunning = true;
        // Held until the check's result; a check that never reports must not stop the diagram.
        this.scheduleRefresh(checkWaitMs);
        return;
      case 'check':
        if (ev.result.lessonId !== this.lessonId) return;
        this.noteCheck(ev.result);
        if (this.checkRunning) {
          this.checkRunning = false;
          this.scheduleRefresh();
        }
        return;
      case 'lab':
        if (ev.status.state === 'ready') this.scheduleRefresh();
        return;
      case 'skip': // its end is followed by `command`
      case 'exit':
        return;
      default:
        ev satisfies never;
    }
  };

  /** A panel resized (a notice above it came or went, the window changed): fit again, unless moved by hand. */
  private readonly resized = new ResizeObserver(() => {
    if (!this.pz.placed) this.pz.fit(true);
  });

  connectedCallback(): void {
    super.connectedCallback();
    // A lesson's block knows only what to show: its lesson is the page's.
    this.lessonId ||= lessonAround(this);
    window.addEventListener('dl-server-event', this.onServerEvent);
    this.scheduleRefresh();
    const v = this.viewport(); // moved in the page: watch it again (firstUpdated ran already)
    if (v) this.resized.observe(v);
  }

  protected firstUpdated(): void {
    const v = this.viewport();
    if (v) this.resized.observe(v);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('dl-server-event', this.onServerEvent);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.resized.disconnect();
  }

  /** Two terminals (hosts) report the same command, and `checking` follows `command`: one fetch. */
  scheduleRefresh(afterMs = 150): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.checkRunning = false;
      void this.refresh();
    }, afterMs);
  }

  async refresh(): Promise<void> {
    if (!this.lessonId) return;
    const n = ++this.fetches;
    this.loading = true;
    try {
      const step = this.lastStep === null ? '' : `?step=${this.lastStep}`;
      const view = await call('GET /api/lessons/:lesson/topology', { lesson: this.lessonId }, null, step);
      if (n !== this.fetches) return; // a newer fetch went out meanwhile: its answer is newer
      this.view = view;
      this.error = null;
    } catch (e) {
      if (n !== this.fetches) return;
      this.error =
        e instanceof ApiFailure ? e.text : { zh: '拓扑图没能取到。', en: 'Could not fetch the topology.' };
    } finally {
      if (n === this.fetches) this.loading = false;
    }
  }

  /** A failed check: highlight the objects its messages name ("veth-ns1 的另一端是 xa…"). */
  private noteCheck(r: CheckView): void {
    const bad = r.conditions.filter((c) => !c.ok && !c.weak);
    if (r.ok || !bad.length) {
      this.failed = null;
      return;
    }
    this.failed = { messages: bad.flatMap((c) => c.messages) };
  }

  static styles = [unsafeCSS(topologyCss), panelStyles];

  /** The graph of the chosen host (with the LAN and tunnel ends), or the whole lab. */
  private shownGraph(): Graph | null {
    let g = this.view?.graph;
    if (!g) return null;
    if (this.host !== 'all') {
      const nodes = g.nodes.filter((n) => n.host === this.host || n.host === '');
      const ids = new Set(nodes.map((n) => n.id));
      g = { nodes, edges: g.edges.filter((e) => ids.has(e.a) && ids.has(e.b)) };
    }
    return this.show.trim() ? focusGraph(g, this.show.trim().split(/\s+/)) : g;
  }

  /** What a lesson's block names, for its text: `ns1、ns2` / `ns1, ns2`. */
  private shownNames(): string {
    const names = this.show
      .trim()
      .split(/\s+/)
      .map((s) => s.slice(s.indexOf(':') + 1));
    return names.join(t('、', ', '));
  }

  private hosts(): string[] {
    return [...new Set((this.view?.graph.nodes ?? []).filter((n) => n.kind === 'host').map((n) => n.host))];
  }

  protected updated(changed: PropertyValues): void {
    super.updated(changed);
    if (!this.active && !this.compact) return;
    const key = JSON.stringify([
      this.view?.takenAt,
      this.host,
      this.show,
      this.showLoopback,
      this.showMounts,
      currentLang(),
      [...this.collapsed],
    ]);
    if (key !== this.drawn && this.view) {
      this.drawn = key;
      void this.draw();
    } else if (changed.has('failed') || changed.has('picked')) this.paintHighlight();
  }

  /** Lays the graph out and swaps the picture in, animating what appeared, moved or vanished. */
  async draw(): Promise<void> {
    const g = this.shownGraph();
    const canvas = this.renderRoot.querySelector<HTMLElement>('.canvas');
    if (!g || !canvas) return;
    const n = ++this.drawing;
    if (!g.nodes.length) {
      // A lesson's block before what it names exists: its text says so, nothing to lay out.
      canvas.replaceChildren();
      this.layout = null;
      this.shown = '';
      this.drawnAt = this.view?.takenAt ?? '';
      return;
    }
    const t0 = performance.now();
    const options = {
      lang: currentLang(),
      collapsed: this.collapsed,
      showLoopback: this.showLoopback,
      showMounts: this.showMounts,
    };
    // Most commands (ls, docker ps, a ping) change nothing drawn: the picture stays as it is.
    const shown = JSON.stringify([
      g,
      options.lang,
      [...options.collapsed],
      options.showLoopback,
      options.showMounts,
    ]);
    if (shown === this.shown && canvas.querySelector('svg')) {
      this.paintHighlight();
      this.lastDrawMs = performance.now() - t0;
      this.drawnAt = this.view?.takenAt ?? '';
      return;
    }
    const { layoutGraph } = await import('../engine/topology/layout.ts');
    const layout = await layoutGraph(g, options);
    if (n !== this.drawing) return; // a newer draw started meanwhile
    this.shown = shown;
    const svg = toDom(
      scene(layout, { title: t('实验环境的网络拓扑', "The lab's network topology"), interactive: true }),
    );
    const old = canvas.querySelector('svg');
    const before = this.layout;
    canvas.replaceChildren(svg);
    this.layout = layout;
    this.makeKeyboardReachable(svg);
    if (before && old) this.animateChange(before, layout, old, svg, g);
    this.paintHighlight();
    if (!this.pz.placed) this.pz.fit(true);
    else this.pz.apply();
    this.lastDrawMs = performance.now() - t0;
    this.drawnAt = this.view?.takenAt ?? '';
  }

  private animateChange(before: Layout, after: Layout, oldSvg: SVGElement, svg: SVGElement, g: Graph): void {
    if (matchMedia('(prefers-reduced-motion: reduce)').matches) return;
    const oldBoxes = new Map(before.boxes.map((b) => [b.id, b]));
    const nodes = new Map(g.nodes.map((x) => [x.id, x]));
    const oldFacts = this.oldFacts;
    // An interface moved to another namespace has a new id but keeps its MAC.
    const byMac = new Map<string, Box>();
    for (const b of before.boxes) {
      const mac = this.macs.get(b.id);
      if (mac) byMac.set(mac, b);
    }
    const kept = new Set<string>();
    for (const b of after.boxes) {
      const el = svg.querySelector<SVGGElement>(`g[data-id="${CSS.escape(b.id)}"]`);
      if (!el) continue;
      const mac = nodes.get(b.id)?.mac;
      const prev = oldBoxes.get(b.id) ?? (mac && mac !== '00:00:00:00:00:00' ? byMac.get(mac) : undefined);
      if (!prev) {
        el.classList.add('appeared');
        continue;
      }
      kept.add(prev.id);
      if (prev.id !== b.id) el.classList.add('moved');
      else if (oldFacts.get(b.id) !== JSON.stringify(nodes.get(b.id))) el.classList.add('changed');
      if (prev.x !== b.x || prev.y !== b.y)
        el.animate(
          [
            { transform: `translate(${prev.x}px,${prev.y}px)` },
            { transform: `translate(${b.x}px,${b.y}px)` },
          ],
          { duration: animateMs, easing: 'ease-in-out' },
        );
    }
    const oldWires = new Set(before.wires.map((w) => w.id));
    for (const w of svg.querySelectorAll<SVGPathElement>('.wire'))
      if (!oldWires.has(w.dataset.id ?? '')) w.classList.add('appeared');
    // What vanished fades out where it was.
    const ghosts = document.createElementNS('http://www.w3.org/2000/svg', 'g');
    for (const b of before.boxes) {
      if (kept.has(b.id) || after.boxes.some((x) => x.id === b.id)) continue;
      const el = oldSvg.querySelector(`g[data-id="${CSS.escape(b.id)}"]`);
      if (el && !el.parentElement?.closest(`g[data-id]`)) {
        el.classList.add('vanished');
        ghosts.appendChild(el);
      }
    }
    if (ghosts.childNodes.length) {
      svg.appendChild(ghosts);
      setTimeout(() => ghosts.remove(), animateMs);
    }
  }

  /** Facts of the last drawn graph's nodes, to tell a changed node from an unchanged one. */
  private get oldFacts(): Map<string, string> {
    return this.factsMemo;
  }
  private factsMemo = new Map<string, string>();
  private macs = new Map<string, string>();

  protected willUpdate(changed: PropertyValues): void {
    // Remember what the previous view said about each node before the new one replaces it.
    if (changed.has('view')) {
      const prev = changed.get('view') as TopologyView | null | undefined;
      if (prev) {
        this.factsMemo = new Map(prev.graph.nodes.map((x) => [x.id, JSON.stringify(x)]));
        this.macs = new Map(prev.graph.nodes.filter((x) => x.mac).map((x) => [x.id, x.mac!]));
      }
    }
  }

  /** Boxes that fold are buttons: Tab reaches them, Enter or Space folds or opens them. */
  private makeKeyboardReachable(svg: SVGElement): void {
    for (const g of svg.querySelectorAll<SVGGElement>('g[data-collapsible]')) {
      const open = g.dataset.collapsible === 'open';
      const name = g.querySelector('text:not(.t-fold)')?.textContent ?? '';
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute('aria-expanded', String(open));
      g.setAttribute(
        'aria-label',
        open ? t(`收起 ${name}`, `fold ${name}`) : t(`展开 ${name}`, `open ${name}`),
      );
    }
  }

  private toggle(id: string): void {
    const next = new Set(this.collapsed);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.collapsed = next;
    this.requestUpdate();
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<SVGGElement>(`g[data-id="${CSS.escape(id)}"]`)?.focus(),
    );
  }

  private onCanvasClick(e: MouseEvent): void {
    if (this.pz.dragMoved) return;
    const g = (e.target as Element).closest<SVGGElement>('g[data-collapsible]');
    if (g?.dataset.id) this.toggle(g.dataset.id);
  }

  private onCanvasKey(e: KeyboardEvent): void {
    const g = (e.target as Element).closest?.<SVGGElement>('g[data-collapsible]');
    if (g?.dataset.id && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      e.stopPropagation();
      this.toggle(g.dataset.id);
    }
  }

  private paintHighlight(): void {
    const svg = this.renderRoot.querySelector('.canvas svg');
    if (!svg) return;
    const ids = new Set([
      ...(this.failed && this.view ? namedIn(this.view.graph, this.failed.messages) : []),
      ...(this.view?.history.find((h) => h.seq === this.picked)?.changes.flatMap((c) => c.ids) ?? []),
    ]);
    for (const el of svg.querySelectorAll<SVGElement>('[data-id]')) {
      const on = el.classList.contains('wire')
        ? ids.has(el.dataset.a ?? '') || ids.has(el.dataset.b ?? '')
        : ids.has(el.dataset.id ?? '');
      el.classList.toggle('hl', on);
    }
  }

  private viewport(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('.view');
  }

  // ---- render ------------------------------------------------------------------------------

  render() {
    const hosts = this.hosts();
    const g = this.shownGraph();
    if (this.compact) return this.renderCompact(g);
    return html`
      <div class="bar" role="toolbar" aria-label=${t('拓扑图工具', 'Topology tools')}>
        ${
          hosts.length > 1
            ? html`<label
                >${t('主机', 'Host')}
                <select
                  .value=${this.host}
                  @change=${(e: Event) => {
                    this.host = (e.target as HTMLSelectElement).value;
                    this.pz.placed = false;
                  }}
                >
                  <option value="all">${t('整个实验环境', 'Whole lab')}</option>
                  ${hosts.map((h) => html`<option value=${h}>${h}</option>`)}
                </select></label
              >`
            : nothing
        }
        <label
          ><input
            type="checkbox"
            .checked=${this.showLoopback}
            @change=${(e: Event) => (this.showLoopback = (e.target as HTMLInputElement).checked)}
          />${t('显示 lo', 'Show lo')}</label
        >
        <label
          ><input
            type="checkbox"
            .checked=${this.showMounts}
            @change=${(e: Event) => (this.showMounts = (e.target as HTMLInputElement).checked)}
          />${t('挂载和数据卷', 'Mounts and volumes')}</label
        >
        <span class="grow"></span>
        <button @click=${() => this.pz.zoomBy(1 / 1.2)} aria-label=${t('缩小', 'Zoom out')}>−</button>
        <button @click=${() => this.pz.zoomBy(1.2)} aria-label=${t('放大', 'Zoom in')}>+</button>
        <button @click=${() => this.pz.fit()}>${t('适应窗口', 'Fit')}</button>
        <button @click=${() => void this.refresh()} ?disabled=${this.loading}>
          ${this.loading ? t('读取中…', 'Reading…') : t('刷新', 'Refresh')}
        </button>
      </div>
      ${
        this.failed
          ? html`<div class="failed" role="status">
              ${t('检查没通过，图上标红的是提到的对象：', 'The check failed; what it names is marked in red:')}
              <ul>
                ${this.failed.messages.map((m) => html`<li>${t(m)}</li>`)}
              </ul>
            </div>`
          : nothing
      }
      <div
        class="view"
        tabindex="0"
        role="group"
        aria-label=${t(
          '网络拓扑图：方向键平移，+ 和 − 缩放，0 适应窗口；Tab 到一个框上按回车可以收起或展开',
          'Network diagram: arrow keys pan, + and − zoom, 0 fits; Tab to a box and press Enter to fold or open it',
        )}
        @wheel=${this.pz.onWheel}
        @pointerdown=${this.pz.onPointerDown}
        @pointermove=${this.pz.onPointerMove}
        @pointerup=${this.pz.onPointerUp}
        @pointercancel=${this.pz.onPointerUp}
        @keydown=${this.pz.onKey}
      >
        <div class="canvas" @click=${this.onCanvasClick} @keydown=${this.onCanvasKey}></div>
        ${
          this.error
            ? html`<div class="empty" role="status">${t(this.error)}</div>`
            : !this.view
              ? html`<div class="empty">${t('正在读取实验环境…', 'Reading the lab…')}</div>`
              : nothing
        }
      </div>
      <section class="changes" aria-labelledby="changes-title">
        <h3 id="changes-title">${t('这条命令改变了什么', 'What that command changed')}</h3>
        ${this.renderHistory()}
        ${
          g
            ? html`<details class="alt">
                <summary>
                  ${t('文字版拓扑（和图上的内容相同）', 'The diagram as text (the same facts)')}
                </summary>
                ${renderItems(describeGraph(g, currentLang()))}
              </details>`
            : nothing
        }
      </section>
    `;
  }

  /** The small live diagram of a lesson's `topology` block: the picture and its text. */
  private renderCompact(g: Graph | null) {
    return html`<div
        class="view"
        tabindex="0"
        role="group"
        aria-label=${t('网络拓扑图（方向键平移，+ 和 − 缩放，0 适应）', 'Network diagram (arrows pan, + and − zoom, 0 fits)')}
        @wheel=${this.pz.onWheel}
        @pointerdown=${this.pz.onPointerDown}
        @pointermove=${this.pz.onPointerMove}
        @pointerup=${this.pz.onPointerUp}
        @pointercancel=${this.pz.onPointerUp}
        @keydown=${this.pz.onKey}
      >
        <div class="canvas" @click=${this.onCanvasClick} @keydown=${this.onCanvasKey}></div>
        ${
          this.error
            ? html`<div class="empty" role="status">${t(this.error)}</div>`
            : !this.view
              ? html`<div class="empty">${t('正在读取实验环境…', 'Reading the lab…')}</div>`
              : !g?.nodes.length
                ? html`<div class="empty" role="status">
                    ${t(
                      `${this.shownNames()} 还不存在：执行上面的命令以后，它会出现在这里。`,
                      `${this.shownNames()}: not there yet; it appears here once you run the commands above.`,
                    )}
                  </div>`
                : nothing
        }
      </div>
      ${
        g
          ? html`<details class="alt">
              <summary>${t('文字版', 'As text')}</summary>
              ${renderItems(describeGraph(g, currentLang()))}
            </details>`
          : nothing
      }`;
  }

  private renderHistory() {
    const h = this.view?.history ?? [];
    if (!h.length)
      return html`<p class="muted">
        ${t('还没有变化。在终端里执行命令后，这里会列出它改了内核和 Docker 的哪些状态。', 'Nothing yet. After a command in the terminal, what it changed in the kernel and Docker shows here.')}
      </p>`;
    const newest = [...h].reverse();
    let lastStep = -1;
    return html`<div aria-live="polite">
      ${newest.map((e, i) => {
        const head =
          e.step !== lastStep ? html`<h4>${t(`第 ${e.step + 1} 步`, `Step ${e.step + 1}`)}</h4>` : nothing;
        lastStep = e.step;
        return html`${head}${this.renderEntry(e, i === 0)}`;
      })}
    </div>`;
  }

  private renderEntry(e: HistoryEntry, latest: boolean) {
    // A lab of two VMs: each change says which one it happened on.
    const many = this.hosts().length > 1;
    const pick = () => (this.picked = this.picked === e.seq ? null : e.seq);
    return html`<div class="entry ${this.picked === e.seq ? 'picked' : ''}" data-seq=${e.seq}>
      ${
        e.commands.length
          ? html`<div>
              ${latest ? t('最新：', 'Latest: ') : ''}<span class="cmd"
                >${e.commands.map((c) => (/^host\d+\$ /.test(c) ? c : `$ ${c}`)).join('  ')}</span
              >
            </div>`
          : latest
            ? html`<div>${t('最新：', 'Latest:')}</div>`
            : nothing
      }
      <ul>
        ${e.changes.map(
          (c) =>
            html`<li
              class="op-${c.op}"
              tabindex=${c.ids.length ? '0' : nothing}
              title=${c.ids.length ? t('点一下在图上标出来', 'Click to mark it on the diagram') : nothing}
              @click=${c.ids.length ? pick : nothing}
              @keydown=${(k: KeyboardEvent) => {
                if (c.ids.length && (k.key === 'Enter' || k.key === ' ')) {
                  k.preventDefault();
                  pick();
                }
              }}
            >
              ${many ? `${c.host}：` : ''}${t(c.text)}
            </li>`,
        )}
      </ul>
    </div>`;
  }
}

/** How long a refresh waits for a running check's result before it goes ahead anyway. */
const checkWaitMs = 20_000;

/** The lesson of the page an element sits in: the nearest `lesson-id` up through shadow roots. */
function lessonAround(el: Element): string {
  for (let n: Node | null = el.parentNode; n; n = n instanceof ShadowRoot ? n.host : n.parentNode)
    if (n instanceof Element && n.getAttribute('lesson-id')) return n.getAttribute('lesson-id')!;
  return '';
}

function renderItems(items: Item[]): unknown {
  return html`<ul>
    ${items.map((i) => html`<li>${i.text}${i.children.length ? renderItems(i.children) : nothing}</li>`)}
  </ul>`;
}

/**
 * Graph objects a check's messages name: interfaces, bridges, namespaces and containers whose name
 * appears in the text as a word of its own ("veth-ns1 的另一端是 xa，应该是 veth-ns2").
 */
export function namedIn(g: Graph, messages: Text[]): string[] {
  const text = messages.map((m) => `${m.zh} ${m.en}`).join(' ');
  return g.nodes
    .filter((n) => ['interface', 'bridge', 'netns', 'container'].includes(n.kind) && n.name.length > 1)
    .filter((n) => new RegExp(`(^|[^\\w-])${escapeRe(n.name)}($|[^\\w-])`).test(text))
    .map((n) => n.id);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

customElements.define('dl-topology', DlTopology);
declare global {
  interface HTMLElementTagNameMap {
    'dl-topology': DlTopology;
  }
}
