import { LitElement, css, html, nothing } from 'lit';
import { Task } from '@lit/task';
import type { LabStatus, LessonSummary, LessonView, ProgressView, ServerEvent } from '../engine/protocol.ts';
import { call, ApiFailure } from './api.ts';
import { SettingsController, currentLang, t } from './i18n.ts';
import type { StepAction } from './dl-step-card.ts';
import type { DlLabPanel } from './dl-lab-panel.ts';
import { nextSkipRun, type SkipRun } from './dl-skip-run.ts';
import './dl-markdown.ts';
import './dl-skip-run.ts';
import './dl-step-card.ts';
import './dl-lab-panel.ts';

/**
 * A lesson: its text and step cards on the left, the lab panel (a terminal per host) on the right.
 * Step results arrive over the terminal socket when a command finishes (they bubble up from the
 * panel's terminals); the buttons call the API.
 */
export class DlLessonPage extends LitElement {
  static properties = {
    lessonId: { attribute: 'lesson-id' },
    learner: {},
    progress: { state: true },
    checking: { state: true },
    busyStep: { state: true },
    error: { state: true },
    checkingSince: { state: true },
    skipRun: { state: true },
    next: { state: true },
  };
  declare lessonId: string;
  /** The learner this page is for (public id; the page's sockets say it, see term-socket.ts). */
  declare learner: string;
  declare progress: ProgressView | null;
  declare checking: number | null;
  declare busyStep: number | null;
  declare error: string | null;
  /** When the running check began (the lab panel says the machine is busy if it takes long). */
  declare checkingSince: number | null;
  /** The last skip, shown under its step while it runs and after, until closed. */
  declare skipRun: SkipRun | null;
  /** The lesson after this one, for "下一课 →" (null: this is the last, or not known yet). */
  declare next: LessonSummary | null;
  private nextAsked = false;
  /** The page has scrolled to the current step once (after the first load). */
  private scrolled = false;

  private readonly settings = new SettingsController(this);

  private readonly lesson = new Task(this, {
    task: async ([id, lang]: readonly [string, string]) => {
      const view = await call('GET /api/lessons/:lesson', { lesson: id }, null, `?lang=${lang}`);
      this.progress = view.progress;
      return view;
    },
    // The language is an argument: switching it fetches the lesson's English text, if it has one.
    args: () => [this.lessonId, currentLang()] as const,
  });

  constructor() {
    super();
    this.progress = null;
    this.checking = null;
    this.busyStep = null;
    this.error = null;
    this.checkingSince = null;
    this.skipRun = null;
    this.next = null;
  }

  /** The lab's status, as the lab panel has it. */
  get lab(): LabStatus {
    return this.panel()?.lab ?? { state: 'idle' };
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
    .untranslated {
      padding: 8px 12px;
      border-left: 3px solid var(--focus);
      border-radius: 0 6px 6px 0;
      background: var(--warn-bg);
    }
    .done {
      display: flex;
      flex-wrap: wrap;
      gap: 8px 16px;
      align-items: baseline;
      padding: 10px 14px;
      border-radius: 8px;
      background: var(--ok-bg);
      color: var(--ok);
      font-weight: 600;
    }
    .next {
      margin-left: auto;
      color: var(--accent);
    }
    .next:focus-visible {
      outline: 2px solid var(--focus);
    }
    .error {
      padding: 8px 12px;
      border-radius: 6px;
      background: var(--bad-bg);
      color: var(--bad);
      white-space: pre-wrap;
      overflow-wrap: anywhere;
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

  private panel(): DlLabPanel | null {
    return this.renderRoot.querySelector('dl-lab-panel');
  }

  /**
   * F6 moves between the lesson and the terminal (the usual "next pane" key): from inside the lab
   * panel back to the lesson, from anywhere else into the terminal.
   */
  private readonly onKey = (e: KeyboardEvent): void => {
    if (e.key !== 'F6') return;
    e.preventDefault();
    const panel = this.panel();
    if (panel && e.composedPath().includes(panel))
      this.renderRoot.querySelector<HTMLElement>('.lesson')?.focus();
    else panel?.focusTerminal();
  };

  private onServerEvent(e: CustomEvent<ServerEvent>): void {
    const ev = e.detail;
    switch (ev.type) {
      case 'checking':
        if (ev.lessonId !== this.lessonId) return;
        if (this.checking === null) this.checkingSince = Date.now();
        this.checking = ev.step;
        return;
      case 'skip':
        if (ev.lessonId === this.lessonId) this.skipRun = nextSkipRun(this.skipRun, ev.step, ev.progress);
        return;
      case 'check': {
        if (ev.result.lessonId !== this.lessonId) return;
        const before = this.progress?.currentStep;
        this.checking = null;
        this.checkingSince = null;
        this.setProgressKeepingHints(ev.progress);
        if (before !== ev.progress.currentStep) void this.updateComplete.then(() => this.scrollToCurrent());
        return;
      }
      case 'lab':
      case 'exit':
      case 'command': // the topology's
        return; // the lab panel's
      default:
        ev satisfies never;
    }
  }

  /** Hints come in the page's language from the lesson view; the socket's and restart's are Chinese. */
  private setProgressKeepingHints(p: ProgressView): void {
    const old = this.progress;
    this.progress = {
      ...p,
      steps: p.steps.map((s, i) => (old?.steps[i] ? { ...s, hints: old.steps[i].hints } : s)),
    };
  }

  private scrollToCurrent(block: ScrollLogicalPosition = 'nearest'): void {
    const card = this.renderRoot.querySelector('dl-step-card[current]');
    card?.scrollIntoView({ behavior: block === 'nearest' ? 'smooth' : 'instant', block });
  }

  protected updated(): void {
    // Opened (or reloaded) in the middle of a lesson: show the step the learner is on, not the top.
    if (this.scrolled || !this.lesson.value) return;
    this.scrolled = true;
    const p = this.progress ?? this.lesson.value.progress;
    if (p.currentStep > 0) void this.updateComplete.then(() => this.scrollToCurrent('start'));
  }

  /** The lesson after this one in the course, once this one is done (for "下一课 →"). */
  private async findNext(): Promise<void> {
    if (this.nextAsked) return;
    this.nextAsked = true;
    try {
      const all = await call('GET /api/lessons', {}, null, `?lang=${currentLang()}`);
      const i = all.findIndex((l) => l.id === this.lessonId);
      this.next = all.slice(i + 1).find((l) => !l.broken) ?? null;
    } catch {
      this.next = null; // the link is a convenience: the course list is one click away
    }
  }

  /** The end of a finished lesson: done (saying how many steps were skipped), and the next one. */
  private finished(p: ProgressView) {
    void this.findNext();
    const skipped = p.steps.filter((s) => s.skipped).length;
    const next = this.next;
    return html`<div class="done" role="status">
      ${
        skipped
          ? t(
              `✓ 这一课的步骤都做完了（其中 ${skipped} 步是跳过的）。`,
              `✓ Every step of this lesson is done (${skipped} skipped).`,
            )
          : t('✓ 这一课的所有步骤都完成了！', '✓ Every step of this lesson is done!')
      }
      ${
        next
          ? html`<a class="next" href="#/lesson/${next.id}" data-next=${next.id}
              >${t(`下一课：${next.chapter}. ${next.title} →`, `Next lesson: ${next.chapter}. ${next.title} →`)}</a
            >`
          : nothing
      }
    </div>`;
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
        this.checkingSince = Date.now();
        await call('POST /api/lessons/:lesson/check', lesson, { step });
        // The result also arrives over the socket; fetch the progress in case the socket is down.
        await refresh();
        this.checking = null;
        this.checkingSince = null;
      } else if (action === 'hint') {
        await call('POST /api/lessons/:lesson/steps/:step/hint', { ...lesson, step });
        await refresh();
      } else if (action === 'solution') {
        await call('POST /api/lessons/:lesson/steps/:step/solution', { ...lesson, step });
        await refresh();
      } else {
        this.busyStep = step;
        this.progress = await call('POST /api/lessons/:lesson/steps/:step/skip', { ...lesson, step });
        // Its progress events may not have come (the socket was away): the reply says it is done.
        if (this.skipRun?.step === step && this.skipRun.state === 'running')
          this.skipRun = { ...this.skipRun, state: 'done', elapsedMs: Date.now() - this.skipRun.startedAt };
      }
    } catch (err) {
      this.checking = null;
      this.checkingSince = null;
      // A skip that failed says why in its own panel; anything else says it here.
      if (!(action === 'skip' && this.skipRun?.step === step && this.skipRun.state === 'failed'))
        this.error = err instanceof ApiFailure ? t(err.text) : String(err);
    } finally {
      if (action === 'skip') this.busyStep = null;
    }
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
    const current = view.steps[p.currentStep];
    return html`
      <section
        class="lesson"
        tabindex="-1"
        aria-label=${t('课文', 'Lesson')}
        @dl-step-action=${this.onStepAction}
        @dl-run=${(e: CustomEvent<string>) => this.panel()?.run(e.detail)}
      >
        <h1>${view.chapter}. ${view.title}</h1>
        <div class="meta">
          ${t(`约 ${view.minutes} 分钟 · ${view.steps.length} 步`, `about ${view.minutes} min · ${view.steps.length} steps`)}
          ${view.hosts.length > 1 ? t(` · ${view.hosts.length} 台机器`, ` · ${view.hosts.length} machines`) : ''}
          · ${t('F6 在课文和终端之间切换', 'F6 switches between lesson and terminal')}
        </div>
        ${
          view.textLang === 'zh' && currentLang() === 'en'
            ? html`<p class="untranslated" role="note">
                This lesson has no English text yet, so it is shown in Chinese. Buttons and check results are
                in English.
              </p>`
            : nothing
        }
        <dl-markdown .source=${view.intro} lang=${view.textLang === 'zh' ? 'zh-CN' : 'en'}></dl-markdown>
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
              ></dl-step-card>
              ${
                this.skipRun?.step === s.index
                  ? html`<dl-skip-run
                      .run=${this.skipRun}
                      data-step=${s.index}
                      @dl-skip-close=${() => (this.skipRun = null)}
                    ></dl-skip-run>`
                  : nothing
              }`,
        )}
        ${allPassed ? this.finished(p) : nothing}
        <dl-markdown .source=${view.summary}></dl-markdown>
      </section>
      <dl-lab-panel
        aria-label=${t('终端', 'Terminal')}
        role="region"
        lesson-id=${view.id}
        learner=${this.learner}
        .hosts=${view.hosts}
        .checkingSince=${this.checkingSince}
        .step=${current ? { index: current.index, title: current.title } : null}
        @dl-server-event=${this.onServerEvent}
        @dl-progress=${(e: CustomEvent<ProgressView>) => this.setProgressKeepingHints(e.detail)}
      ></dl-lab-panel>
    `;
  }
}

customElements.define('dl-lesson-page', DlLessonPage);
declare global {
  interface HTMLElementTagNameMap {
    'dl-lesson-page': DlLessonPage;
  }
}
