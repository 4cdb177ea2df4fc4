import { LitElement, css, html } from 'lit';
import { Task } from '@lit/task';
import type { LessonSummary, SessionView } from '../engine/protocol.ts';
import './dl-class-sign-in.ts';
import { api, ApiFailure } from './api.ts';
import { SettingsController, currentLang, t } from './i18n.ts';

/** The chapter list: every lesson with its length and how far the learner has come. */
export class DlLessonList extends LitElement {
  static properties = { session: { attribute: false } };
  declare session: SessionView;

  private readonly settings = new SettingsController(this);
  private readonly lessons = new Task(this, {
    task: ([lang]: readonly [string]) => api<LessonSummary[]>('GET', `/api/lessons?lang=${lang}`),
    args: () => [currentLang()] as const,
  });

  static styles = css`
    :host {
      display: block;
      overflow-y: auto;
    }
    main {
      max-width: 980px;
      margin: 0 auto;
      padding: 18px 24px 48px;
    }
    h1 {
      font-size: 24px;
      margin: 8px 0 4px;
    }
    .lead {
      color: var(--muted);
      margin: 0 0 18px;
    }
    ol {
      list-style: none;
      padding: 0;
      margin: 0;
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(280px, 1fr));
      gap: 12px;
    }
    a {
      display: flex;
      gap: 14px;
      align-items: flex-start;
      padding: 12px 14px;
      border: 1px solid var(--border);
      border-radius: 8px;
      background: var(--panel);
      color: inherit;
      text-decoration: none;
      height: 100%;
      box-sizing: border-box;
    }
    a:hover {
      border-color: var(--accent);
    }
    a:focus-visible {
      outline: 2px solid var(--focus);
      outline-offset: 1px;
    }
    .n {
      font-size: 22px;
      font-weight: 700;
      color: var(--accent);
      min-width: 1.6em;
      font-variant-numeric: tabular-nums;
    }
    .title {
      font-weight: 600;
      font-size: 16px;
    }
    .meta {
      color: var(--muted);
      font-size: 13px;
    }
    .bar {
      height: 5px;
      border-radius: 3px;
      background: var(--code-bg);
      margin-top: 6px;
      overflow: hidden;
      display: flex;
    }
    .bar span {
      display: block;
      height: 100%;
      background: var(--ok);
    }
    .bar span.skip {
      background: var(--muted);
      opacity: 0.5;
    }
    .skipped {
      color: var(--muted);
    }
    .done {
      color: var(--ok);
      font-weight: 600;
    }
    .broken .meta {
      color: var(--bad);
    }
  `;

  private card(l: LessonSummary) {
    if (l.broken) {
      return html`<li>
        <a href="#/lesson/${encodeURIComponent(l.id)}" data-lesson=${l.id} class="broken">
          <span class="n">${l.chapter}</span>
          <span style="flex:1">
            <div class="title">${l.title}</div>
            <div class="meta">
              ${t('⚠ 这一课的文件有错误，暂时打不开', '⚠ This lesson’s file has mistakes and cannot be opened yet')}
            </div>
          </span>
        </a>
      </li>`;
    }
    // Skipped steps (their solution was run for the learner) are counted apart from done ones:
    // a lesson the learner skipped through is not one they did.
    const skipped = l.skipped;
    const own = l.passed - skipped;
    const pct = (n: number): number => (l.steps ? (100 * n) / l.steps : 0);
    const skippedNote = skipped
      ? html`<span class="skipped" data-skipped=${skipped}
          >${t(`跳过了 ${skipped} 步`, `${skipped} skipped`)}</span
        >`
      : '';
    const state =
      l.passed === l.steps && l.steps > 0
        ? skipped
          ? html`<span class="done">${t('✓ 学完了', '✓ Finished')}</span>${t('，', ', ')}${skippedNote}`
          : html`<span class="done">${t('✓ 已完成', '✓ Done')}</span>`
        : skipped
          ? html`${t(`自己完成 ${own}/${l.steps} 步`, `${own}/${l.steps} steps done`)}${t('，', ', ')}${skippedNote}`
          : t(`已完成 ${l.passed}/${l.steps} 步`, `${l.passed}/${l.steps} steps done`);
    return html`<li>
      <a href="#/lesson/${encodeURIComponent(l.id)}" data-lesson=${l.id}>
        <span class="n">${l.chapter}</span>
        <span style="flex:1">
          <div class="title">${l.title}</div>
          <div class="meta">
            ${t(`约 ${l.minutes} 分钟`, `about ${l.minutes} min`)}${l.hosts > 1 ? t(` · ${l.hosts} 台机器`, ` · ${l.hosts} machines`) : ''}
            · ${state}
          </div>
          <div class="bar" aria-hidden="true">
            <span style="width:${pct(own)}%"></span><span class="skip" style="width:${pct(skipped)}%"></span>
          </div>
        </span>
      </a>
    </li>`;
  }

  render() {
    void this.settings;
    return html`<main>
      <h1>${t('课程目录', 'Chapters')}</h1>
      <p class="lead">
        ${t(
          '每一课左边是讲解，右边是一台属于你自己的 Linux 机器，里面有真正的 Docker。照着做，每完成一步系统会自动检查。',
          'Each lesson puts the explanation beside your own Linux machine with a real Docker. Follow along; every step is checked by itself.',
        )}
      </p>
      <dl-class-sign-in .session=${this.session}></dl-class-sign-in>
      ${this.lessons.render({
        pending: () => html`<p>${t('加载中…', 'Loading…')}</p>`,
        error: (e) => html`<p role="alert">${e instanceof ApiFailure ? t(e.text) : String(e)}</p>`,
        complete: (list) =>
          html`<ol>
            ${list.map((l) => this.card(l))}
          </ol>`,
      })}
    </main>`;
  }
}

customElements.define('dl-lesson-list', DlLessonList);
declare global {
  interface HTMLElementTagNameMap {
    'dl-lesson-list': DlLessonList;
  }
}
