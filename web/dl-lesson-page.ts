import { LitElement, css, html, nothing } from 'lit';
import { Task } from '@lit/task';
import type { LabStatus, LessonView, ProgressView, ServerEvent, Text } from '../engine/protocol.ts';
import { call, ApiFailure } from './api.ts';
import { SettingsController, currentLang, t } from './i18n.ts';
import type { StepAction } from './dl-step-card.ts';
import type { SocketState } from './term-socket.ts';
import type { DlTerminal } from './dl-terminal.ts';
import './dl-markdown.ts';
import './dl-step-card.ts';
import './dl-terminal.ts';
import './dl-topology.ts';

/**
 * A lesson: its text and step cards on the left, a terminal per host on the right. Step results
 * arrive over the terminal socket when a command finishes; the buttons call the API.
 */
export class DlLessonPage extends LitElement {
  static properties = {
    lessonId: { attribute: 'lesson-id' },
    learner: {},
    progress: { state: true },
    lab: { state: true },
    socket: { state: true },
    activeHost: { state: true },
    showTopology: { state: true },
    checking: { state: true },
    busyStep: { state: true },
    error: { state: true },
    resetting: { state: true },
    dismissed: { state: true },
  };
  declare lessonId: string;
  /** The learner this page is for (public id; the page's sockets say it, see term-socket.ts). */
  declare learner: string;
  declare progress: ProgressView | null;
  declare lab: LabStatus;
  declare socket: SocketState;
  declare activeHost: string;
  /** The network diagram is shown over the terminals (which keep their size under it). */
  declare showTopology: boolean;
  declare checking: number | null;
  declare busyStep: number | null;
  declare error: string | null;
  /** A reset of the lab is in flight. */
  declare resetting: boolean;
  /** The ready notice the learner closed (so the same one does not come back on reconnect). */
  declare dismissed: Text | null;

  private readonly settings = new SettingsController(this);

  private readonly lesson = new Task(this, {
    task: async ([id, lang]: readonly [string, string]) => {
      const view = await call('GET /api/lessons/:lesson', { lesson: id }, null, `?lang=${lang}`);
      this.progress = view.progress;
      if (!view.hosts.includes(this.activeHost)) this.activeHost = view.hosts[0] ?? 'host1';
      return view;
    },
    // The language is an argument: switching it fetches the lesson's English text, if it has one.
    args: () => [this.lessonId, currentLang()] as const,
  });

  constructor() {
    super();
    this.progress = null;
    this.lab = { state: 'idle' };
    this.socket = 'connecting';
    this.activeHost = 'host1';
    this.showTopology = false;
    this.checking = null;
    this.busyStep = null;
    this.error = null;
    this.resetting = false;
    this.dismissed = null;
  }

  static styles = css`
    :host {
      display: grid;
      grid-template-columns: minmax(360px, 44fr) 56fr;
      grid-template-rows: minmax(0, 1fr);
    }
    .lesson {
      overflow-y: auto;
      padding: 8px 22px 40px;
      min-height: 0;
    }
    .lesson:focus-visible {
      outline: 2px solid var(--focus);
      outline-offset: -2px;
    }
    h1 {
      font-size: 22px;
      margin: 10px 0 4px;
    }
    .meta {
      color: var(--muted);
      font-size: 13.5px;
    }
    .done {
      padding: 10px 14px;
      border-radius: 8px;
      background: var(--ok-bg);
      color: var(--ok);
      font-weight: 600;
    }
    .error {
      padding: 8px 12px;
      border-radius: 6px;
      background: var(--bad-bg);
      color: var(--bad);
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .right {
      display: flex;
      flex-direction: column;
      min-height: 0;
      min-width: 0;
      background: var(--term-bg);
    }
    .bar {
      display: flex;
      align-items: center;
      gap: 4px;
      padding: 4px 8px 0;
      color: #c9d1d9;
      font-size: 13px;
    }
    .tabs {
      display: flex;
      gap: 4px;
    }
    .tab {
      font: inherit;
      padding: 4px 14px;
      border: 1px solid #30363d;
      border-bottom: none;
      border-radius: 6px 6px 0 0;
      background: transparent;
      color: #9aa5b1;
      cursor: pointer;
    }
    .tab[aria-selected='true'],
    .topology-toggle[aria-pressed='true'] {
      background: #1e1e1e;
      color: #fff;
    }
    .tab:focus-visible {
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
      background: #0d1117;
      color: #e6edf3;
      border: 1px solid #30363d;
      border-radius: 4px;
      padding: 1px 4px;
    }
    .preview button {
      font: inherit;
      background: transparent;
      color: #c9d1d9;
      border: 1px solid #30363d;
      border-radius: 4px;
      cursor: pointer;
    }
    .status {
      margin-left: 12px;
    }
    .reset-lab {
      font: inherit;
      margin-left: 8px;
      background: transparent;
      color: #c9d1d9;
      border: 1px solid #30363d;
      border-radius: 4px;
      cursor: pointer;
    }
    .banner {
      margin: 6px 8px 0;
      display: flex;
      gap: 12px;
      align-items: flex-start;
      padding: 10px 14px;
      border-radius: 6px;
      border: 1px solid #9e6a03;
      background: #2b2111;
      color: #f0d8a8;
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
      border: 1px solid #9e6a03;
      background: transparent;
      color: #f0d8a8;
      cursor: pointer;
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
    .overlay .notice {
      margin: 0 0 14px;
      color: #f0d8a8;
    }
    dialog.reset {
      max-width: 32em;
      border: 1px solid var(--border);
      border-radius: 8px;
      background: var(--panel);
      color: var(--text);
      line-height: 1.6;
    }
    dialog.reset h2 {
      font-size: 18px;
      margin: 0 0 8px;
    }
    dialog .actions {
      display: flex;
      gap: 8px;
      justify-content: flex-end;
    }
    dialog button.danger {
      background: var(--bad);
      border-color: var(--bad);
      color: #fff;
    }
    .status .dot {
      display: inline-block;
      width: 8px;
      height: 8px;
      border-radius: 50%;
      margin-right: 6px;
      background: #d29922;
    }
    .status.ready .dot {
      background: #3fb950;
    }
    .terms {
      position: relative;
      flex: 1;
      min-height: 0;
    }
    dl-terminal {
      position: absolute;
      inset: 0;
    }
    dl-topology {
      position: absolute;
      inset: 0;
      z-index: 1;
    }
    dl-topology[hidden] {
      display: none;
    }
    dl-terminal[hidden] {
      display: none;
    }
    .overlay {
      position: absolute;
      inset: 0;
      display: grid;
      place-items: center;
      background: rgba(10, 12, 16, 0.82);
      color: #e6edf3;
      text-align: center;
      padding: 24px;
      font-size: 16px;
      z-index: 2;
    }
    .overlay > div {
      max-width: 30em;
      padding: 20px 24px;
      border: 1px solid #30363d;
      border-radius: 8px;
      background: #161b22;
      line-height: 1.6;
      box-shadow: 0 8px 24px rgba(0, 0, 0, 0.5);
    }
    .overlay button {
      font: inherit;
      margin-top: 14px;
      padding: 6px 22px;
      border-radius: 6px;
      border: none;
      background: #4493f8;
      color: #0d1117;
      cursor: pointer;
    }
    .spinner {
      width: 28px;
      height: 28px;
      margin: 0 auto 12px;
      border: 3px solid #30363d;
      border-top-color: #4493f8;
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
  `;

  connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('keydown', this.onKey);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.onKey);
  }

  /** F6 moves between the lesson and the terminal (the usual "next pane" key). */
  private readonly onKey = (e: KeyboardEvent): void => {
    if (e.key === 'F6') {
      e.preventDefault();
      this.activeTerminal()?.focus();
    }
  };

  /** Arrow keys, Home and End move between the host tabs (the WAI-ARIA tabs pattern). */
  private readonly onTabKey = (e: KeyboardEvent): void => {
    const hosts = this.lesson.value?.hosts ?? [];
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
    void this.updateComplete.then(() => this.activeTerminal()?.focus());
  }

  /** Shows the network diagram over the terminals, or hides it and puts the cursor back. */
  private toggleTopology(): void {
    this.showTopology = !this.showTopology;
    if (!this.showTopology) void this.updateComplete.then(() => this.activeTerminal()?.focus());
  }

  private activeTerminal(): DlTerminal | null {
    return this.renderRoot.querySelector<DlTerminal>(`dl-terminal[host="${this.activeHost}"]`);
  }

  private onServerEvent(e: CustomEvent<ServerEvent>): void {
    const ev = e.detail;
    switch (ev.type) {
      case 'lab':
        // The first time the machine is ready, put the cursor in the terminal: typing is next.
        if (ev.status.state === 'ready' && this.lab.state !== 'ready')
          void this.updateComplete.then(() => this.activeTerminal()?.focus());
        this.lab = ev.status;
        return;
      case 'checking':
        if (ev.lessonId === this.lessonId) this.checking = ev.step;
        return;
      case 'check': {
        if (ev.result.lessonId !== this.lessonId) return;
        const before = this.progress?.currentStep;
        this.checking = null;
        // Hints come in the page's language from the API; the socket's copy is in Chinese.
        const old = this.progress;
        this.progress = {
          ...ev.progress,
          steps: ev.progress.steps.map((s, i) => (old?.steps[i] ? { ...s, hints: old.steps[i].hints } : s)),
        };
        if (before !== ev.progress.currentStep) void this.updateComplete.then(() => this.scrollToCurrent());
        return;
      }
      case 'exit':
        return;
      default:
        ev satisfies never;
    }
  }

  private scrollToCurrent(): void {
    const card = this.renderRoot.querySelector('dl-step-card[current]');
    card?.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  private async onStepAction(e: CustomEvent<{ step: number; action: StepAction }>): Promise<void> {
    const { step, action } = e.detail;
    const lesson = { lesson: this.lessonId };
    const refresh = async () =>
      (this.progress = (
        await call('GET /api/lessons/:lesson', lesson, null, `?lang=${currentLang()}`)
      ).progress);
    this.error = null;
    try {
      if (action === 'check') {
        this.checking = step;
        await call('POST /api/lessons/:lesson/check', lesson, { step });
        // The result also arrives over the socket; fetch the progress in case the socket is down.
        await refresh();
        this.checking = null;
      } else if (action === 'hint') {
        await call('POST /api/lessons/:lesson/steps/:step/hint', { ...lesson, step });
        await refresh();
      } else if (action === 'solution') {
        await call('POST /api/lessons/:lesson/steps/:step/solution', { ...lesson, step });
        await refresh();
      } else {
        this.busyStep = step;
        this.progress = await call('POST /api/lessons/:lesson/steps/:step/skip', { ...lesson, step });
      }
    } catch (err) {
      this.error = err instanceof ApiFailure ? t(err.text) : String(err);
      this.checking = null;
    } finally {
      if (action === 'skip') this.busyStep = null;
    }
  }

  private resetDialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector<HTMLDialogElement>('dialog.reset');
  }

  /**
   * "重置实验机器", confirmed: the server throws the lab away and makes a new one with the finished
   * steps redone. Terminals whose socket was closed (a lab that had failed) connect again.
   */
  private async resetLab(): Promise<void> {
    this.resetDialog()?.close();
    this.resetting = true;
    this.error = null;
    this.dismissed = null;
    try {
      this.lab = await call('POST /api/lab/reset', {}, { lesson: this.lessonId });
      if (this.socket !== 'open') this.resume();
    } catch (err) {
      this.error = err instanceof ApiFailure ? t(err.text) : String(err);
    } finally {
      this.resetting = false;
    }
  }

  /**
   * Opens what a web server on that port of the current host answers, in a new tab. The address
   * comes from the server with the lab (it holds this learner's preview key).
   */
  private openPreview(e: SubmitEvent): void {
    e.preventDefault();
    const port = Number(new FormData(e.target as HTMLFormElement).get('port') || 80);
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
    this.lab = { state: 'idle' };
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
            ${t('正在连接…', 'Connecting…')}
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
          </div>
        </div>`;
      case 'starting':
        return html`<div class="overlay" role="status" data-state="starting">
          <div>
            ${lab.notice ? html`<p class="notice" data-notice>${t(lab.notice)}</p>` : nothing}
            <div class="spinner"></div>
            ${t(lab.detail)}
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

  /** Why this lab is new (it replaced a failed one, or the learner reset it), over the terminal. */
  private readyNotice(notice: Text) {
    return html`<div class="banner" role="status" data-state="notice">
      <span>${t(notice)}</span>
      <button @click=${() => (this.dismissed = notice)}>${t('知道了', 'OK')}</button>
    </div>`;
  }

  /** The confirm dialog of "重置实验机器": what is lost, what is kept. */
  private resetConfirm() {
    return html`<dialog class="reset" aria-labelledby="reset-title">
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
        <button @click=${() => this.resetDialog()?.close()} autofocus>${t('取消', 'Cancel')}</button>
      </div>
    </dialog>`;
  }

  render() {
    void this.settings;
    return this.lesson.render({
      // Keep showing the page (and its terminals) while another language's text loads.
      pending: () =>
        this.lesson.value
          ? this.page(this.lesson.value)
          : html`<p class="lesson">${t('加载中…', 'Loading…')}</p>`,
      error: (e) => html`<p class="lesson error">${e instanceof ApiFailure ? t(e.text) : String(e)}</p>`,
      complete: (view) => this.page(view),
    });
  }

  private page(view: LessonView) {
    const p = this.progress ?? view.progress;
    const allPassed = p.steps.every((s) => s.passed);
    const ready = this.lab.state === 'ready';
    return html`
      <section
        class="lesson"
        tabindex="-1"
        aria-label=${t('课文', 'Lesson')}
        @dl-step-action=${this.onStepAction}
        @dl-run=${(e: CustomEvent<string>) => this.activeTerminal()?.run(e.detail)}
      >
        <h1>${view.chapter}. ${view.title}</h1>
        <div class="meta">
          ${t(`约 ${view.minutes} 分钟 · ${view.steps.length} 步`, `about ${view.minutes} min · ${view.steps.length} steps`)}
          ${view.hosts.length > 1 ? t(` · ${view.hosts.length} 台机器`, ` · ${view.hosts.length} machines`) : ''}
          · ${t('F6 在课文和终端之间切换', 'F6 switches between lesson and terminal')}
        </div>
        <dl-markdown .source=${view.intro}></dl-markdown>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${view.steps.map(
          (s) =>
            html`<dl-step-card
              .step=${s}
              .progress=${p.steps[s.index]!}
              ?current=${p.currentStep === s.index}
              ?checking=${this.checking === s.index}
              ?busy=${this.busyStep === s.index}
              data-step=${s.index}
            ></dl-step-card>`,
        )}
        ${allPassed ? html`<p class="done" role="status">${t('✓ 这一课的所有步骤都完成了！', '✓ Every step of this lesson is done!')}</p>` : nothing}
        <dl-markdown .source=${view.summary}></dl-markdown>
      </section>
      <section
        class="right"
        aria-label=${t('终端', 'Terminal')}
        @dl-server-event=${this.onServerEvent}
        @dl-socket-state=${(e: CustomEvent<SocketState>) => (this.socket = e.detail)}
        @dl-leave-terminal=${() => this.renderRoot.querySelector<HTMLElement>('.lesson')?.focus()}
      >
        <div class="bar">
          ${
            view.hosts.length > 1
              ? html`<div
                  class="tabs"
                  role="tablist"
                  aria-label=${t('机器', 'Hosts')}
                  @keydown=${this.onTabKey}
                >
                  ${view.hosts.map(
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
                </div>`
              : html`<span>root@${view.hosts[0]}</span>`
          }
          <form class="preview" @submit=${this.openPreview}>
            <label
              >${t('预览端口', 'Preview port')}
              <input name="port" type="number" min="1" max="65535" placeholder="80"
            /></label>
            <button type="submit">${t('打开', 'Open')}</button>
          </form>
          <button
            class="reset-lab"
            data-action="reset-lab"
            ?disabled=${this.resetting}
            @click=${() => this.resetDialog()?.showModal()}
          >
            ${this.resetting ? t('正在重置…', 'Resetting…') : t('重置实验机器', 'Reset my lab')}
          </button>
          <button
            class="tab topology-toggle"
            aria-pressed=${this.showTopology}
            @click=${() => this.toggleTopology()}
          >
            ${t('网络拓扑图', 'Network diagram')}
          </button>
          <span class="status ${ready ? 'ready' : ''}" data-lab=${this.lab.state}>
            <span class="dot"></span
            >${ready ? t('实验机器已就绪', 'Lab ready') : t('实验机器未就绪', 'Lab not ready')}
          </span>
        </div>
        ${
          this.lab.state === 'ready' && this.lab.notice && this.lab.notice.zh !== this.dismissed?.zh
            ? this.readyNotice(this.lab.notice)
            : nothing
        }
        <div class="terms">
          ${view.hosts.map(
            (h) =>
              html`<dl-terminal
                id="term-${h}"
                role=${view.hosts.length > 1 ? 'tabpanel' : nothing}
                aria-labelledby=${view.hosts.length > 1 ? `tab-${h}` : nothing}
                lesson-id=${view.id}
                host=${h}
                learner=${this.learner}
                ?hidden=${h !== this.activeHost}
              ></dl-terminal>`,
          )}
          <dl-topology
            lesson-id=${view.id}
            ?active=${this.showTopology}
            ?hidden=${!this.showTopology}
          ></dl-topology>
          ${this.overlay()}
        </div>
        ${this.resetConfirm()}
      </section>
    `;
  }
}

customElements.define('dl-lesson-page', DlLessonPage);
declare global {
  interface HTMLElementTagNameMap {
    'dl-lesson-page': DlLessonPage;
  }
}
