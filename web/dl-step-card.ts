import { LitElement, css, html, nothing } from 'lit';
import type { CheckView, StepProgress, StepView, Text } from '../engine/protocol.ts';
import { SettingsController, t } from './i18n.ts';
import './dl-markdown.ts';

export type StepAction = 'check' | 'hint' | 'solution' | 'skip';

/**
 * One step of a lesson: its text, its state (待完成 / 检查中 / ✓ 已完成), what is still wrong per
 * condition, the hints opened so far, and the solution once asked for.
 * @fires dl-step-action - a button was pressed; `detail` is `{ step, action }`
 */
export class DlStepCard extends LitElement {
  static properties = {
    step: { attribute: false },
    progress: { attribute: false },
    current: { type: Boolean, reflect: true },
    checking: { type: Boolean },
    busy: { type: Boolean },
    open: { type: Boolean, reflect: true },
  };
  declare step: StepView;
  declare progress: StepProgress;
  declare current: boolean;
  declare checking: boolean;
  /** An action of this card is in flight (skip can take a while on a slow VM). */
  declare busy: boolean;
  declare open: boolean;

  private readonly settings = new SettingsController(this);

  constructor() {
    super();
    this.current = false;
    this.checking = false;
    this.busy = false;
    this.open = true;
  }

  static styles = css`
    :host {
      display: block;
      border: 1px solid var(--border);
      border-radius: 8px;
      background: var(--panel);
      margin: 12px 0;
    }
    :host([current]) {
      border-color: var(--accent);
      box-shadow: 0 0 0 1px var(--accent);
    }
    header {
      display: flex;
      align-items: center;
      gap: 10px;
      padding: 10px 14px;
      cursor: pointer;
      user-select: none;
    }
    header:focus-visible {
      outline: 2px solid var(--focus);
      outline-offset: -2px;
    }
    h3 {
      flex: 1;
      margin: 0;
      font-size: 16px;
    }
    .num {
      color: var(--muted);
      font-variant-numeric: tabular-nums;
    }
    .badge {
      font-size: 13px;
      padding: 1px 10px;
      border-radius: 999px;
      white-space: nowrap;
      background: var(--code-bg);
      color: var(--muted);
    }
    .badge.passed {
      background: var(--ok-bg);
      color: var(--ok);
      font-weight: 600;
    }
    .badge.skipped {
      background: var(--warn-bg);
      color: var(--text);
    }
    .badge.failed {
      background: var(--bad-bg);
      color: var(--bad);
    }
    .body {
      padding: 0 14px 12px;
    }
    .result {
      list-style: none;
      margin: 8px 0;
      padding: 8px 12px;
      border-radius: 6px;
      background: var(--bad-bg);
    }
    .result.ok {
      background: var(--ok-bg);
    }
    .result li {
      margin: 2px 0;
      /* A 64-character volume path or id wraps inside the card instead of running out of it. */
      overflow-wrap: anywhere;
    }
    details.done-help > summary {
      cursor: pointer;
      color: var(--muted);
      font-size: 13.5px;
      margin: 6px 0;
    }
    .result code {
      font-family: var(--mono, ui-monospace, monospace);
      font-size: 0.92em;
      padding: 0 4px;
      border-radius: 4px;
      background: rgba(127, 127, 127, 0.15);
    }
    .result .mark {
      display: inline-block;
      width: 1.4em;
      font-weight: 700;
    }
    .result .ok .mark {
      color: var(--ok);
    }
    .result .bad .mark {
      color: var(--bad);
    }
    .weak {
      color: var(--muted);
      font-size: 12.5px;
    }
    .hint,
    .solution {
      margin: 8px 0;
      padding: 8px 12px;
      border-left: 3px solid var(--focus);
      background: var(--warn-bg);
      border-radius: 0 6px 6px 0;
    }
    .solution {
      border-left-color: var(--accent);
      background: var(--code-bg);
    }
    .buttons {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      margin-top: 10px;
    }
    button {
      font: inherit;
      font-size: 14px;
      padding: 4px 14px;
      border-radius: 6px;
      border: 1px solid var(--border);
      background: var(--panel);
      color: var(--text);
      cursor: pointer;
    }
    button.primary {
      background: var(--accent);
      border-color: var(--accent);
      color: var(--accent-text);
    }
    button:disabled {
      opacity: 0.55;
      cursor: default;
    }
    button:focus-visible {
      outline: 2px solid var(--focus);
      outline-offset: 1px;
    }
  `;

  private act(action: StepAction): void {
    this.dispatchEvent(
      new CustomEvent('dl-step-action', {
        detail: { step: this.step.index, action },
        bubbles: true,
        composed: true,
      }),
    );
  }

  private toggle(e: Event): void {
    if (e instanceof KeyboardEvent && e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    this.open = !this.open;
  }

  private badge() {
    const last = this.progress.last;
    if (this.checking) return html`<span class="badge">${t('检查中…', 'Checking…')}</span>`;
    if (this.progress.skipped && this.progress.passed)
      return html`<span class="badge skipped" data-state="skipped">${t('已跳过', 'Skipped')}</span>`;
    if (this.progress.passed)
      return html`<span class="badge passed" data-state="passed">${t('✓ 已完成', '✓ Passed')}</span>`;
    // Not a verdict (the learner has not worked on this step yet, or it was still settling): no red.
    if (last && !last.ok && last.tentative)
      return html`<span class="badge" data-state="not-yet">${t('还没检测到', 'Not detected yet')}</span>`;
    if (last && !last.ok)
      return html`<span class="badge failed" data-state="failed">${t('还没完成', 'Not yet')}</span>`;
    return html`<span class="badge" data-state="pending">${t('待完成', 'To do')}</span>`;
  }

  private result(r: CheckView | null) {
    if (!r || (r.ok && r.conditions.length === 0) || r.tentative) return nothing;
    if (r.error)
      return html`<ul class="result" role="status">
        <li>${t(r.error)}</li>
      </ul>`;
    return html`<ul class="result ${r.ok ? 'ok' : ''}" role="status" aria-live="polite">
      ${once(r.conditions).map(
        (c) =>
          html`<li class=${c.ok ? 'ok' : 'bad'}>
            <span class="mark" aria-label=${c.ok ? t('通过', 'passed') : t('未通过', 'failed')}
              >${c.ok ? '✓' : '✗'}</span
            >${inlineCode(c.messages.map((m) => t(m)).join('；'))}
            ${c.weak ? html`<span class="weak">${t('（根据你输入的命令判断）', '(judged from what you typed)')}</span>` : nothing}
          </li>`,
      )}
    </ul>`;
  }

  /** The hints opened so far and the solution, once asked for. */
  private help() {
    const p = this.progress;
    return html`${p.hints.map(
      (h, i) =>
        html`<div class="hint">
          <strong>${t(`提示 ${i + 1}`, `Hint ${i + 1}`)}</strong><dl-markdown .source=${h}></dl-markdown>
        </div>`,
    )}
    ${
      p.solution
        ? html`<div class="solution">
            <strong>${t('参考答案', 'Reference solution')}</strong>
            ${Object.entries(p.solution).map(
              ([host, script]) =>
                html`${Object.keys(p.solution!).length > 1 ? html`<div>${host}</div>` : nothing}
                  <dl-markdown .source=${'```bash\n' + script + '\n```'}></dl-markdown>`,
            )}
          </div>`
        : nothing
    }`;
  }

  render() {
    void this.settings;
    const s = this.step;
    const p = this.progress;
    const moreHints = p.hints.length < s.hintCount;
    return html`
      <header
        role="button"
        tabindex="0"
        aria-expanded=${this.open}
        @click=${this.toggle}
        @keydown=${this.toggle}
      >
        <span class="num">${s.index + 1}</span>
        <h3>${s.title}</h3>
        ${this.badge()}
      </header>
      ${
        this.open
          ? html`<div class="body">
              <dl-markdown .source=${s.body}></dl-markdown>
              ${this.result(p.last)}
              ${
                // Once the step is done its hints and solution fold away (a click opens them again).
                p.passed && (p.hints.length > 0 || p.solution)
                  ? html`<details class="done-help">
                      <summary>${t('提示和参考答案', 'Hints and solution')}</summary>
                      ${this.help()}
                    </details>`
                  : this.help()
              }
              <div class="buttons">
                <button
                  class="primary"
                  data-action="check"
                  ?disabled=${this.checking || this.busy}
                  @click=${() => this.act('check')}
                >
                  ${t('检查', 'Check')}
                </button>
                ${
                  moreHints
                    ? html`<button data-action="hint" @click=${() => this.act('hint')}>
                        ${p.hints.length ? t('再给一个提示', 'Another hint') : t('提示', 'Hint')}
                      </button>`
                    : nothing
                }
                ${
                  p.solution
                    ? nothing
                    : html`<button data-action="solution" @click=${() => this.act('solution')}>
                        ${t('看答案', 'Show solution')}
                      </button>`
                }
                ${
                  p.passed
                    ? nothing
                    : html`<button
                        data-action="skip"
                        ?disabled=${this.busy}
                        @click=${() => this.act('skip')}
                        title=${t('在你的实验机器上替你运行这一步的参考答案（你会看到每条命令和它的输出），这一步记为“已跳过”', 'Runs this step’s reference solution in your lab for you (you see its commands and output); the step is marked “skipped”')}
                      >
                        ${this.busy ? t('正在替你运行参考答案…', 'Running the solution for you…') : t('跳过：替我运行参考答案', 'Skip: run the solution for me')}
                      </button>`
                }
              </div>
            </div>`
          : nothing
      }
    `;
  }
}

/**
 * Each message once: a message an earlier condition already said is left out, and a condition with
 * nothing new is not shown. A step that checks a container and something in it says "没有名为 box
 * 的容器" once (the kinds word a missing container or netns alike for this).
 */
function once<C extends { messages: Text[] }>(conditions: readonly C[]): C[] {
  const seen = new Set<string>();
  return conditions.flatMap((c) => {
    const fresh = c.messages.filter((m) => !seen.has(m.zh));
    for (const m of fresh) seen.add(m.zh);
    return fresh.length ? [{ ...c, messages: fresh }] : [];
  });
}

/** `commands` in check messages shown as code; the rest stays text (never parsed as HTML). */
function inlineCode(text: string) {
  return text.split('`').map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part));
}

customElements.define('dl-step-card', DlStepCard);
declare global {
  interface HTMLElementTagNameMap {
    'dl-step-card': DlStepCard;
  }
}
