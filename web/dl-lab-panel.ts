import { LitElement, css, html, nothing } from 'lit';
import type { LabStatus, ServerEvent, Text } from '../engine/protocol.ts';
import { call, ApiFailure } from './api.ts';
import { SettingsController, t } from './i18n.ts';
import type { SocketState } from './term-socket.ts';
import type { DlTerminal } from './dl-terminal.ts';
import './dl-terminal.ts';
import './dl-topology.ts';

/**
 * The lab side of a lesson page: a terminal per host (tabs when there are several), the lab's
 * state (connecting, queued, starting, ready, stopped, failed) over them, the port preview, the
 * network diagram and "重置实验机器". It owns the lab's status as the server reports it; the
 * lesson side hears the same server events (they bubble from the terminals) for step results.
 * @fires dl-lab-status - the lab's status changed; `detail` is the LabStatus
 * @fires dl-progress - the current step was started again (从头做这一步); `detail` is the ProgressView
 */
export class DlLabPanel extends LitElement {
  static properties = {
    lessonId: { attribute: 'lesson-id' },
    learner: {},
    hosts: { attribute: false },
    lab: { state: true },
    socket: { state: true },
    activeHost: { state: true },
    showTopology: { state: true },
    error: { state: true },
    resetting: { state: true },
    dismissed: { state: true },
    checkingSince: { attribute: false },
    step: { attribute: false },
    restarting: { state: true },
    running: { state: true },
    waiting: { state: true },
    now: { state: true },
  };
  declare lessonId: string;
  /** The learner this page is for (public id; the sockets say it, see term-socket.ts). */
  declare learner: string;
  /** The lesson's machines: `host1`, `host2`, … */
  declare hosts: string[];
  declare lab: LabStatus;
  declare socket: SocketState;
  declare activeHost: string;
  /** The network diagram is shown over the terminals (which keep their size under it). */
  declare showTopology: boolean;
  /** What went wrong with the last thing asked of the lab here (preview, reset). */
  declare error: string | null;
  /** A reset of the lab is in flight. */
  declare resetting: boolean;
  /** The ready notice the learner closed (so the same one does not come back on reconnect). */
  declare dismissed: Text | null;
  /** The step the learner is on (what "从头做这一步" rewinds), or null when the lesson is done. */
  declare step: { index: number; title: string } | null;
  /** "从头做这一步" is in flight. */
  declare restarting: boolean;
  /** When the check running now started (set by the lesson side), or null. */
  declare checkingSince: number | null;
  /** Per host: when the command running in its shell started (OSC 133 C), if one runs. */
  declare running: ReadonlyMap<string, number>;
  /** Per host: what was typed or run while its shell was not there yet, waiting to be sent. */
  declare waiting: ReadonlyMap<string, string>;
  /** The clock the busy notice counts with (ticks only while something runs). */
  declare now: number;
  private ticker: number | undefined;

  private readonly settings = new SettingsController(this);

  constructor() {
    super();
    this.hosts = ['host1'];
    this.lab = { state: 'idle' };
    this.socket = 'connecting';
    this.activeHost = 'host1';
    this.showTopology = false;
    this.error = null;
    this.resetting = false;
    this.dismissed = null;
    this.checkingSince = null;
    this.step = null;
    this.restarting = false;
    this.running = new Map();
    this.waiting = new Map();
    this.now = Date.now();
  }

  static styles = css`
    :host {
      display: flex;
      flex-direction: column;
      min-height: 0;
      min-width: 0;
      background: var(--term-bg);
      color: var(--term-fg);
    }
    .bar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px;
      padding: 4px 8px 0;
      font-size: 13px;
    }
    .tabs {
      display: flex;
      gap: 4px;
    }
    .tab {
      font: inherit;
      padding: 4px 14px;
      border: 1px solid var(--term-border);
      border-bottom: none;
      border-radius: 6px 6px 0 0;
      background: transparent;
      color: var(--term-muted);
      cursor: pointer;
    }
    .tab[aria-selected='true'],
    .topology-toggle[aria-pressed='true'] {
      background: var(--term-bg);
      color: var(--term-strong);
    }
    button:focus-visible,
    input:focus-visible {
      outline: 2px solid var(--focus);
    }
    .preview {
      margin-left: auto;
      display: flex;
      gap: 4px;
      align-items: center;
    }
    .preview input {
      width: 5em;
      font: inherit;
      background: var(--term-input-bg);
      color: var(--term-text);
      border: 1px solid var(--term-border);
      border-radius: 4px;
      padding: 1px 4px;
    }
    .preview button,
    .reset-lab {
      font: inherit;
      background: transparent;
      color: var(--term-fg);
      border: 1px solid var(--term-border);
      border-radius: 4px;
      cursor: pointer;
    }
    .reset-lab {
      margin-left: 8px;
    }
    .status {
      margin-left: 12px;
    }
    .status .dot {
      display: inline-block;
      width: 8px;
      height: 8px;
      border-radius: 50%;
      margin-right: 6px;
      background: var(--term-waiting);
    }
    .status.ready .dot {
      background: var(--term-ready);
    }
    .status[data-busy] .dot {
      background: var(--term-waiting);
      animation: pulse 1.2s ease-in-out infinite;
    }
    @keyframes pulse {
      50% {
        opacity: 0.3;
      }
    }
    .busy {
      position: absolute;
      top: 8px;
      right: 14px;
      z-index: 1;
      padding: 2px 10px;
      border-radius: 999px;
      border: 1px solid var(--term-warn-border);
      background: var(--term-warn-bg);
      color: var(--term-warn-text);
      font-size: 12.5px;
      opacity: 0.92;
      pointer-events: none;
    }
    .waiting {
      margin: 12px 0 0;
      font-size: 14px;
      color: var(--term-warn-text);
    }
    .waiting code {
      font-family: var(--mono);
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .error {
      margin: 6px 8px 0;
      padding: 6px 12px;
      border-radius: 6px;
      background: var(--bad-bg);
      color: var(--bad);
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .banner {
      margin: 6px 8px 0;
      display: flex;
      gap: 12px;
      align-items: flex-start;
      padding: 10px 14px;
      border-radius: 6px;
      border: 1px solid var(--term-warn-border);
      background: var(--term-warn-bg);
      color: var(--term-warn-text);
      line-height: 1.5;
    }
    .banner span {
      flex: 1;
      white-space: pre-line;
    }
    .banner button {
      font: inherit;
      flex: none;
      padding: 2px 12px;
      border-radius: 6px;
      border: 1px solid var(--term-warn-border);
      background: transparent;
      color: var(--term-warn-text);
      cursor: pointer;
    }
    .terms {
      position: relative;
      flex: 1;
      min-height: 0;
    }
    dl-terminal,
    dl-topology {
      position: absolute;
      inset: 0;
    }
    dl-topology {
      z-index: 1;
    }
    dl-topology[hidden],
    dl-terminal[hidden] {
      display: none;
    }
    .overlay {
      position: absolute;
      inset: 0;
      display: grid;
      place-items: center;
      background: var(--term-overlay);
      color: var(--term-text);
      text-align: center;
      padding: 24px;
      font-size: 16px;
      z-index: 2;
    }
    .overlay > div {
      max-width: 30em;
      padding: 20px 24px;
      border: 1px solid var(--term-border);
      border-radius: 8px;
      background: var(--term-panel);
      line-height: 1.6;
      box-shadow: 0 8px 24px var(--term-shadow);
    }
    .overlay button {
      font: inherit;
      margin-top: 14px;
      padding: 6px 22px;
      border-radius: 6px;
      border: none;
      background: var(--term-accent);
      color: var(--term-input-bg);
      cursor: pointer;
    }
    .overlay .notice {
      margin: 0 0 14px;
      color: var(--term-warn-text);
    }
    .spinner {
      width: 28px;
      height: 28px;
      margin: 0 auto 12px;
      border: 3px solid var(--term-border);
      border-top-color: var(--term-accent);
      border-radius: 50%;
      animation: spin 0.9s linear infinite;
    }
    @keyframes spin {
      to {
        transform: rotate(360deg);
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .spinner {
        animation: none;
      }
    }
    dialog.confirm {
      max-width: 32em;
      border: 1px solid var(--border);
      border-radius: 8px;
      background: var(--panel);
      color: var(--text);
      line-height: 1.6;
    }
    dialog.confirm h2 {
      font-size: 18px;
      margin: 0 0 8px;
    }
    dialog .actions {
      display: flex;
      gap: 8px;
      justify-content: flex-end;
    }
    dialog button {
      font: inherit;
      flex: none;
      padding: 3px 14px;
      border-radius: 6px;
      border: 1px solid var(--border);
      background: var(--panel);
      color: var(--text);
      cursor: pointer;
    }
    dialog button.danger {
      background: var(--bad);
      border-color: var(--bad);
      color: var(--accent-text);
    }
  `;

  /** Types `command` into the active host's terminal, then Enter. */
  run(command: string): void {
    this.activeTerminal()?.run(command);
  }

  /** Puts the cursor in the active host's terminal. */
  focusTerminal(): void {
    this.activeTerminal()?.focus();
  }

  private activeTerminal(): DlTerminal | null {
    return this.renderRoot.querySelector<DlTerminal>(`dl-terminal[host="${this.activeHost}"]`);
  }

  protected willUpdate(): void {
    if (!this.hosts.includes(this.activeHost)) this.activeHost = this.hosts[0] ?? 'host1';
    // The busy notice counts seconds only while a command or a check runs.
    const ticking = this.running.size > 0 || this.checkingSince !== null;
    if (ticking && this.ticker === undefined)
      this.ticker = window.setInterval(() => (this.now = Date.now()), 1000);
    if (!ticking && this.ticker !== undefined) {
      window.clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private onCommand(e: CustomEvent<boolean>): void {
    const host = (e.target as DlTerminal).host;
    const running = new Map(this.running);
    if (e.detail) running.set(host, Date.now());
    else running.delete(host);
    this.running = running;
    this.now = Date.now();
  }

  private onHeld(e: CustomEvent<string>): void {
    const waiting = new Map(this.waiting);
    if (e.detail) waiting.set((e.target as DlTerminal).host, e.detail);
    else waiting.delete((e.target as DlTerminal).host);
    this.waiting = waiting;
  }

  /**
   * "实验机器正忙…" when a command has run for more than a few seconds, or a check takes longer
   * than checks do on a machine with room to spare (a starved VM); null when nothing is slow.
   */
  private busy(): string | null {
    const since = Math.min(...this.running.values());
    const command = this.now - since;
    if (command >= busyAfterMs) {
      const n = Math.round(command / 1000);
      return t(`实验机器正忙…（命令已经运行了 ${n} 秒）`, `The lab is busy… (a command has run for ${n} s)`);
    }
    const check = this.checkingSince === null ? 0 : this.now - this.checkingSince;
    if (check >= slowCheckMs) {
      const n = Math.round(check / 1000);
      return t(
        `实验机器正忙…（这次检查已经用了 ${n} 秒，比平时慢）`,
        `The lab is busy… (this check has taken ${n} s, slower than usual)`,
      );
    }
    return null;
  }

  private setLab(status: LabStatus): void {
    // The first time the machine is ready, put the cursor in the terminal: typing is next.
    if (status.state === 'ready' && this.lab.state !== 'ready')
      void this.updateComplete.then(() => this.focusTerminal());
    this.lab = status;
    this.dispatchEvent(new CustomEvent('dl-lab-status', { detail: status, bubbles: true, composed: true }));
  }

  private onServerEvent(e: CustomEvent<ServerEvent>): void {
    if (e.detail.type === 'lab') this.setLab(e.detail.status);
  }

  /** Arrow keys, Home and End move between the host tabs (the WAI-ARIA tabs pattern). */
  private readonly onTabKey = (e: KeyboardEvent): void => {
    const hosts = this.hosts;
    const i = hosts.indexOf(this.activeHost);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: hosts.length - 1 }[e.key];
    if (next === undefined || hosts.length === 0) return;
    e.preventDefault();
    this.activeHost = hosts[(next + hosts.length) % hosts.length]!;
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>(`#tab-${this.activeHost}`)?.focus(),
    );
  };

  /** A tab chosen by click or Enter: show that host's terminal and put the cursor in it. */
  private showHost(host: string): void {
    this.activeHost = host;
    this.showTopology = false;
    void this.updateComplete.then(() => this.focusTerminal());
  }

  /** Shows the network diagram over the terminals, or hides it and puts the cursor back. */
  private toggleTopology(): void {
    this.showTopology = !this.showTopology;
    if (!this.showTopology) void this.updateComplete.then(() => this.focusTerminal());
  }

  private dialog(which: 'reset' | 'restart'): HTMLDialogElement | null {
    return this.renderRoot.querySelector<HTMLDialogElement>(`dialog.${which}`);
  }

  /**
   * "重置实验机器", confirmed: the server throws the lab away and makes a new one with the finished
   * steps redone. Terminals whose socket was closed (a lab that had failed) connect again.
   */
  private async resetLab(): Promise<void> {
    this.dialog('reset')?.close();
    this.resetting = true;
    this.error = null;
    this.dismissed = null;
    try {
      this.setLab(await call('POST /api/lab/reset', {}, { lesson: this.lessonId }));
      if (this.socket !== 'open') this.resume();
    } catch (err) {
      this.error = err instanceof ApiFailure ? t(err.text) : String(err);
    } finally {
      this.resetting = false;
    }
  }

  /**
   * "从头做这一步", confirmed: the server takes the lab back to its checkpoint of the step's start
   * and opens new shells; the step's old result goes.
   */
  private async restartStep(): Promise<void> {
    this.dialog('restart')?.close();
    const step = this.step;
    if (!step) return;
    this.restarting = true;
    this.error = null;
    try {
      const progress = await call('POST /api/lessons/:lesson/steps/:step/restart', {
        lesson: this.lessonId,
        step: step.index,
      });
      this.dispatchEvent(new CustomEvent('dl-progress', { detail: progress, bubbles: true, composed: true }));
    } catch (err) {
      this.error = err instanceof ApiFailure ? t(err.text) : String(err);
    } finally {
      this.restarting = false;
    }
  }

  /**
   * Opens what a web server on that port of the current host answers, in a new tab. The address
   * comes from the server with the lab (it holds this learner's preview key).
   */
  private openPreview(e: SubmitEvent): void {
    e.preventDefault();
    const port = Number(new FormData(e.target as HTMLFormElement).get('port') || 80);
    this.error = null;
    if (this.lab.state !== 'ready') {
      this.error = t(
        '实验机器还没有就绪，等它准备好再预览。',
        'The lab is not ready yet: preview once it is.',
      );
      return;
    }
    if (Number.isInteger(port) && port > 0 && port < 65536)
      window.open(`${this.lab.preview}${this.activeHost}/${port}/`, '_blank', 'noopener');
  }

  private resume(): void {
    this.setLab({ state: 'idle' });
    this.socket = 'connecting';
    for (const term of this.renderRoot.querySelectorAll('dl-terminal')) term.reconnect();
  }

  private overlay() {
    const lab = this.lab;
    if (this.socket === 'expired') {
      return html`<div class="overlay" role="alert" data-state="expired">
        <div>
          ${t(
            '这个页面的学员已经不是你现在的身份了：可能服务器的数据被清空了，可能这个浏览器换了人登录，也可能老师让你重新登录。刷新页面，再接着学（课堂上会先请你登录）。',
            'This page is no longer for who this browser is now: the server’s data may have been reset, someone else may have signed in here, or your teacher signed you out. Reload the page to carry on (in a class, you sign in first).',
          )}<br />
          <button @click=${() => location.reload()}>${t('刷新页面', 'Reload')}</button>
        </div>
      </div>`;
    }
    if (this.socket === 'replaced') {
      return html`<div class="overlay" role="status">
        <div>
          ${t('这个终端已经在另一个窗口里打开了。', 'This terminal is open in another window.')}<br />
          <button @click=${this.resume}>${t('在这里继续使用', 'Use it here')}</button>
        </div>
      </div>`;
    }
    switch (lab.state) {
      case 'ready':
        return this.socket === 'reconnecting'
          ? html`<div class="overlay" role="status">
              <div>
                <div class="spinner"></div>
                ${t('连接断开了，正在重新连接…', 'Connection lost, reconnecting…')}
              </div>
            </div>`
          : nothing;
      case 'idle':
        return html`<div class="overlay" role="status">
          <div>
            <div class="spinner"></div>
            ${t('正在连接…', 'Connecting…')} ${this.waitingNote()}
          </div>
        </div>`;
      case 'queued':
        return html`<div class="overlay" role="status" data-state="queued">
          <div>
            <div class="spinner"></div>
            ${t(`全部机器都在使用中，你排在第 ${lab.position} 位。`, `All lab machines are in use; you are number ${lab.position} in the queue.`)}<br />
            <small
              >${t('轮到你时会自动开始，不用刷新页面。', 'It starts by itself when your turn comes; no need to reload.')}</small
            >
            ${this.waitingNote()}
          </div>
        </div>`;
      case 'starting':
        return html`<div class="overlay" role="status" data-state="starting">
          <div>
            ${lab.notice ? html`<p class="notice" data-notice>${t(lab.notice)}</p>` : nothing}
            <div class="spinner"></div>
            ${t(lab.detail)} ${this.waitingNote()}
          </div>
        </div>`;
      case 'stopped':
        return html`<div class="overlay" role="status" data-state="stopped">
          <div>${t(lab.reason)}<br /><button @click=${this.resume}>${t('继续', 'Resume')}</button></div>
        </div>`;
      case 'failed':
        // "Try again" makes a new lab: whatever failed, the old one is of no further use.
        return html`<div class="overlay" role="alert" data-state="failed">
          <div>
            ${t(lab.reason)}<br /><button ?disabled=${this.resetting} @click=${this.resetLab}>
              ${t('重试', 'Try again')}
            </button>
          </div>
        </div>`;
      default:
        return lab satisfies never;
    }
  }

  /** What was typed while the machine was getting ready, said back: it is not lost. */
  private waitingNote() {
    const text = [...this.waiting.values()].join('');
    if (!text) return nothing;
    const shown = text.replace(/\r/g, '\n').trim();
    return html`<p class="waiting" data-waiting>
      ${t('你输入的内容会在机器准备好后自动发送到终端：', 'What you typed is sent to the terminal once the machine is ready:')}
      <code>${shown.length > 200 ? `…${shown.slice(-200)}` : shown}</code>
    </p>`;
  }

  /** Why this lab is new (it replaced a failed one, or the learner reset it), over the terminal. */
  private readyNotice(notice: Text) {
    return html`<div class="banner" role="status" data-state="notice">
      <span>${t(notice)}</span>
      <button @click=${() => (this.dismissed = notice)}>${t('知道了', 'OK')}</button>
    </div>`;
  }

  /** The confirm dialog of "重置实验机器": what is lost, what is kept. */
  private resetConfirm() {
    return html`<dialog class="confirm reset" aria-labelledby="reset-title">
      <h2 id="reset-title">${t('重置实验机器？', 'Reset your lab machine?')}</h2>
      <p>
        ${t(
          '会换一台全新的实验机器。现在这台机器上的东西都会丢失：容器、镜像以外你做的改动、文件、网络配置。',
          'You get a brand-new lab machine. Everything on this one is lost: containers, changes beyond the images, files, network setup.',
        )}
      </p>
      <p>
        ${t(
          '会保留：你的学习进度。已完成的步骤会在新机器上自动重新执行。',
          'Kept: your progress. Your finished steps are redone on the new machine by themselves.',
        )}
      </p>
      <div class="actions">
        <button class="danger" data-action="confirm-reset" @click=${this.resetLab}>
          ${t('重置', 'Reset')}
        </button>
        <button @click=${() => this.dialog('reset')?.close()} autofocus>${t('取消', 'Cancel')}</button>
      </div>
    </dialog>`;
  }

  /** The confirm dialog of "从头做这一步": what goes back, what stays. */
  private restartConfirm() {
    const step = this.step;
    if (!step) return nothing;
    const n = step.index + 1;
    return html`<dialog class="confirm restart" aria-labelledby="restart-title">
      <h2 id="restart-title">${t(`从头做第 ${n} 步？`, `Start step ${n} again?`)}</h2>
      <p>
        ${t(
          `实验机器会回到第 ${n} 步「${step.title}」刚开始时的样子：这一步里你做的改动（容器、文件、网络配置）都会撤销，终端会重新打开（正在运行的命令会结束）。大约需要几秒钟。`,
          `Your lab goes back to how it was when step ${n} “${step.title}” began: what you changed in this step (containers, files, network setup) is undone, and the terminal opens anew (a running command ends). It takes a few seconds.`,
        )}
      </p>
      <p>${t('会保留：你的学习进度、打开过的提示。', 'Kept: your progress and the hints you opened.')}</p>
      <div class="actions">
        <button class="danger" data-action="confirm-restart" @click=${this.restartStep}>
          ${t('从头做这一步', 'Start it again')}
        </button>
        <button @click=${() => this.dialog('restart')?.close()} autofocus>${t('取消', 'Cancel')}</button>
      </div>
    </dialog>`;
  }

  private tabs() {
    if (this.hosts.length <= 1) return html`<span>root@${this.hosts[0]}</span>`;
    return html`<div class="tabs" role="tablist" aria-label=${t('机器', 'Hosts')} @keydown=${this.onTabKey}>
      ${this.hosts.map(
        (h) =>
          html`<button
            class="tab"
            role="tab"
            id="tab-${h}"
            aria-controls="term-${h}"
            aria-selected=${h === this.activeHost}
            tabindex=${h === this.activeHost ? 0 : -1}
            @click=${() => this.showHost(h)}
          >
            ${h}
          </button>`,
      )}
    </div>`;
  }

  render() {
    void this.settings;
    const ready = this.lab.state === 'ready';
    const several = this.hosts.length > 1;
    const busy = ready ? this.busy() : null;
    // Until the shell is there, what is typed or run waits in the terminal (see DlTerminal.held).
    const held = !ready || this.socket !== 'open';
    return html`
      <div class="bar">
        ${this.tabs()}
        <form class="preview" @submit=${this.openPreview}>
          <label
            >${t('预览端口', 'Preview port')}
            <input name="port" type="number" min="1" max="65535" placeholder="80"
          /></label>
          <button type="submit">${t('打开', 'Open')}</button>
        </form>
        ${
          this.step
            ? html`<button
                class="reset-lab"
                data-action="restart-step"
                ?disabled=${this.restarting || !ready}
                title=${t('把实验机器恢复到这一步开始时的样子', 'Take your lab back to how it was when this step began')}
                @click=${() => this.dialog('restart')?.showModal()}
              >
                ${this.restarting ? t('正在恢复…', 'Rewinding…') : t('从头做这一步', 'Start this step again')}
              </button>`
            : nothing
        }
        <button
          class="reset-lab"
          data-action="reset-lab"
          ?disabled=${this.resetting}
          @click=${() => this.dialog('reset')?.showModal()}
        >
          ${this.resetting ? t('正在重置…', 'Resetting…') : t('重置实验机器', 'Reset my lab')}
        </button>
        <button class="tab topology-toggle" aria-pressed=${this.showTopology} @click=${this.toggleTopology}>
          ${t('网络拓扑图', 'Network diagram')}
        </button>
        <span
          class="status ${ready ? 'ready' : ''}"
          data-lab=${this.lab.state}
          ?data-busy=${busy !== null}
          role="status"
          aria-live="polite"
        >
          <span class="dot"></span>${
            busy
              ? t('实验机器正忙…', 'Lab busy…')
              : ready
                ? t('实验机器已就绪', 'Lab ready')
                : t('实验机器未就绪', 'Lab not ready')
          }
        </span>
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.lab.state === 'ready' && this.lab.notice && this.lab.notice.zh !== this.dismissed?.zh
          ? this.readyNotice(this.lab.notice)
          : nothing
      }
      <div
        class="terms"
        @dl-server-event=${this.onServerEvent}
        @dl-socket-state=${(e: CustomEvent<SocketState>) => (this.socket = e.detail)}
        @dl-command=${this.onCommand}
        @dl-held=${this.onHeld}
      >
        ${this.hosts.map(
          (h) =>
            html`<dl-terminal
              id="term-${h}"
              role=${several ? 'tabpanel' : nothing}
              aria-labelledby=${several ? `tab-${h}` : nothing}
              lesson-id=${this.lessonId}
              host=${h}
              learner=${this.learner}
              ?held=${held}
              ?hidden=${h !== this.activeHost}
            ></dl-terminal>`,
        )}
        <dl-topology
          lesson-id=${this.lessonId}
          ?active=${this.showTopology}
          ?hidden=${!this.showTopology}
        ></dl-topology>
        ${
          // The why and how long, in a corner of the terminal: it moves nothing, and takes no clicks.
          busy ? html`<div class="busy" aria-hidden="true">${busy}</div>` : nothing
        }
        ${this.overlay()}
      </div>
      ${this.resetConfirm()} ${this.restartConfirm()}
    `;
  }
}

/** A command running this long makes the lab panel say the machine is busy. */
const busyAfterMs = 4000;
/** A check taking this long (they take well under a second on a machine with room) says so too. */
const slowCheckMs = 5000;

customElements.define('dl-lab-panel', DlLabPanel);
declare global {
  interface HTMLElementTagNameMap {
    'dl-lab-panel': DlLabPanel;
  }
}
