import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';
import xtermCss from '@xterm/xterm/css/xterm.css?inline';
import type { ServerEvent } from '../engine/protocol.ts';
import { TermSocket, type SocketState } from './term-socket.ts';

/**
 * One host's terminal: xterm.js (WebGL renderer, DOM if WebGL is missing) on a TermSocket.
 * @fires dl-server-event - a ServerEvent from the server (lab status, check results), as `detail`
 * @fires dl-socket-state - the socket's SocketState, as `detail`
 * @fires dl-command - a command started (`detail` true) or ended (false) in this shell (OSC 133 C/D)
 * @fires dl-held - what was typed while `held` changed; `detail` is the text waiting (may be '')
 */
export class DlTerminal extends LitElement {
  static properties = {
    lessonId: { attribute: 'lesson-id' },
    host: {},
    learner: {},
    held: { type: Boolean },
  };
  declare lessonId: string;
  declare host: string;
  declare learner: string;
  /**
   * The shell is not there yet (the lab is starting or being prepared, or the socket is away):
   * what is typed or run meanwhile waits here, and is sent once it is (nothing is dropped).
   */
  declare held: boolean;
  /** Input waiting for the shell while `held` (at most `maxHeld` characters). */
  private waiting = '';

  static styles = [
    unsafeCSS(xtermCss),
    css`
      :host {
        display: block;
        position: relative;
        background: var(--term-bg);
        min-height: 0;
      }
      .screen {
        position: absolute;
        inset: 6px 0 0 8px;
      }
    `,
  ];

  private term: Terminal | null = null;
  private fit: FitAddon | null = null;
  private socket: TermSocket | null = null;
  private observer: ResizeObserver | null = null;
  /** Shells that ended soon after they started, in a row; and when the current one was opened. */
  private quickExits = 0;
  private shellSince = 0;
  private exitTimer: number | undefined;
  /** Which renderer is in use, for tests and bug reports. */
  renderer: 'webgl' | 'dom' = 'dom';

  constructor() {
    super();
    this.held = false;
  }

  render() {
    return html`<div class="screen" part="screen"></div>`;
  }

  protected updated(changed: PropertyValues): void {
    if (changed.has('held') && !this.held && this.waiting) {
      const text = this.waiting;
      this.setWaiting('');
      this.socket?.input(text);
    }
  }

  /** Sends input to the shell, or keeps it while the shell is not there yet. */
  private send(text: string): void {
    if (!this.held) {
      this.socket?.input(text);
      return;
    }
    // Past the limit it is a paste into a machine that is not there: the newest part is kept.
    this.setWaiting((this.waiting + text).slice(-maxHeld));
  }

  private setWaiting(text: string): void {
    this.waiting = text;
    this.dispatchEvent(new CustomEvent('dl-held', { detail: text, bubbles: true, composed: true }));
  }

  protected firstUpdated(_changed: PropertyValues): void {
    const term = new Terminal({
      fontFamily: "'DejaVu Sans Mono', 'Noto Sans Mono CJK SC', Menlo, Consolas, monospace",
      fontSize: 14,
      cursorBlink: true,
      scrollback: 5000,
      theme: { background: '#1e1e1e' },
      allowProposedApi: true,
    });
    this.term = term;
    this.fit = new FitAddon();
    term.loadAddon(this.fit);
    term.loadAddon(new WebLinksAddon((_event, uri) => openLink(uri)));
    term.open(this.renderRoot.querySelector('.screen') as HTMLElement);
    try {
      const webgl = new WebglAddon();
      webgl.onContextLoss(() => {
        webgl.dispose();
        this.renderer = 'dom';
      });
      term.loadAddon(webgl);
      this.renderer = 'webgl';
    } catch {
      this.renderer = 'dom'; // no WebGL2 (old GPU, --disable-gpu): xterm's DOM renderer works everywhere
    }
    // F6 is the page's (it moves focus out to the lesson): xterm must not turn it into input.
    term.attachCustomKeyEventHandler((e) => e.key !== 'F6');
    this.safeFit();
    this.socket = new TermSocket({
      lessonId: this.lessonId,
      host: this.host,
      learner: this.learner,
      size: () => ({ cols: term.cols, rows: term.rows }),
      onOutput: (data, done) => term.write(data, done),
      onEvent: (event: ServerEvent) => {
        if (event.type === 'exit') this.onShellExit();
        this.dispatchEvent(
          new CustomEvent('dl-server-event', { detail: event, bubbles: true, composed: true }),
        );
      },
      onState: (state: SocketState) => {
        if (state === 'open') this.shellSince = Date.now();
        this.dispatchEvent(
          new CustomEvent('dl-socket-state', { detail: state, bubbles: true, composed: true }),
        );
      },
    });
    term.onData((d) => this.send(d));
    // Shell integration (the guest's bashrc): C, a command started; D, it ended and the prompt is back.
    term.parser.registerOscHandler(133, (data) => {
      const kind = data.split(';')[0];
      if (kind === 'C' || kind === 'D')
        this.dispatchEvent(
          new CustomEvent('dl-command', { detail: kind === 'C', bubbles: true, composed: true }),
        );
      return true;
    });
    term.onResize(({ cols, rows }) => this.socket?.resize(cols, rows));
    this.observer = new ResizeObserver(() => this.safeFit());
    this.observer.observe(this);
    this.socket.connect();
  }

  /** Fitting a hidden terminal (a background tab) would make it 1 column wide: skip it then. */
  private safeFit(): void {
    if (this.offsetWidth > 50 && this.offsetHeight > 50) this.fit?.fit();
  }

  /**
   * The learner typed `exit` (or the shell died): say so and open a fresh shell on the same machine,
   * after 1 s, and after 2, 4, 8, 10 s while new shells keep ending within 10 s (the server takes
   * a lab whose shells keep ending at once for dead, and says so).
   */
  private onShellExit(): void {
    if (Date.now() - this.shellSince > 10_000) this.quickExits = 0;
    const delay = Math.min(10_000, 1000 * 2 ** this.quickExits++);
    this.term?.write(
      '\r\n\x1b[33m[shell 已退出，正在打开一个新的 / the shell exited, opening a new one…]\x1b[0m\r\n',
    );
    window.clearTimeout(this.exitTimer);
    this.exitTimer = window.setTimeout(() => this.socket?.connect(), delay);
  }

  /** Reconnects (after the lab was stopped and the learner chose to resume). */
  reconnect(): void {
    this.socket?.connect();
  }

  /** Types a command as if the learner had, then Enter. Lines are run one by one. */
  run(command: string): void {
    const lines = command.replace(/\r\n/g, '\n').replace(/\n+$/, '');
    this.send(lines.replace(/\n/g, '\r') + '\r');
    this.focus();
  }

  focus(): void {
    this.term?.focus();
  }

  /** The visible screen as text, for tests. */
  screenText(): string {
    const buf = this.term?.buffer.active;
    if (!buf) return '';
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    window.clearTimeout(this.exitTimer);
    this.socket?.dispose();
    this.term?.dispose();
    this.socket = null;
    this.term = null;
  }
}

/** Input kept for a shell that is not there yet (a paste bigger than this keeps its end). */
const maxHeld = 16 * 1024;

/**
 * A link clicked in the terminal opens only if it is http(s): what a shell prints is the learner's
 * (or a program's) text, and a `javascript:` or `file:` URL must not run from it. No opener and no
 * referrer for the page it opens.
 */
export function openLink(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
  window.open(url.href, '_blank', 'noopener,noreferrer');
}

customElements.define('dl-terminal', DlTerminal);
declare global {
  interface HTMLElementTagNameMap {
    'dl-terminal': DlTerminal;
  }
}
