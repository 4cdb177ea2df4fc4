import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { SkipProgress, Text } from '../engine/protocol.ts';
import { SettingsController, t } from './i18n.ts';

/** A skip as the page shows it: the reference solution run for the learner, and what it printed. */
export interface SkipRun {
  step: number;
  /** Host → the script being run (the step's reference solution). */
  scripts: Record<string, string>;
  /** The host whose script runs now. */
  host: string | null;
  /** What the scripts printed, prompts removed (the last `maxOutput` characters). */
  output: string;
  state: 'running' | 'done' | 'failed';
  error: Text | null;
  startedAt: number;
  elapsedMs: number | null;
}

const maxOutput = 64 * 1024;

/** Program output as plain text: colour and cursor sequences dropped, a line redrawn by \r kept last. */
/* eslint-disable no-control-regex -- terminal control bytes are what is being removed */
function plain(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\r\n/g, '\n')
    .replace(/[^\n]*\r(?!\n)/g, '');
}
/* eslint-enable no-control-regex */

/** The next state of `run` after a SkipProgress event from the server (a new run on `start`). */
export function nextSkipRun(
  run: SkipRun | null,
  step: number,
  p: SkipProgress,
  now = Date.now(),
): SkipRun | null {
  if (p.phase === 'start')
    return {
      step,
      scripts: p.scripts,
      host: null,
      output: '',
      state: 'running',
      error: null,
      startedAt: now,
      elapsedMs: null,
    };
  if (!run || run.step !== step) return run;
  switch (p.phase) {
    case 'host':
      return { ...run, host: p.host };
    case 'output':
      return { ...run, output: (run.output + plain(p.text)).slice(-maxOutput) };
    case 'end':
      return { ...run, state: p.ok ? 'done' : 'failed', error: p.error ?? null, elapsedMs: p.elapsedMs };
    default:
      return p satisfies never;
  }
}

/**
 * "跳过：替我运行参考答案", as it happens: the commands that run in the learner's lab, their output
 * as it comes, how long it has taken, and how it ended (已跳过, or why not).
 * @fires dl-skip-close - the learner closed the finished run
 */
export class DlSkipRun extends LitElement {
  static properties = { run: { attribute: false }, now: { state: true } };
  declare run: SkipRun;
  declare now: number;
  private timer: number | undefined;
  private readonly settings = new SettingsController(this);

  constructor() {
    super();
    this.now = Date.now();
  }

  static styles = css`
    :host {
      display: block;
      margin: -6px 0 12px;
      padding: 10px 14px;
      border: 1px solid var(--border);
      border-top: 3px solid var(--accent);
      border-radius: 0 0 8px 8px;
      background: var(--panel);
    }
    :host([data-state='failed']) {
      border-top-color: var(--bad);
    }
    .head {
      display: flex;
      gap: 10px;
      align-items: baseline;
      font-weight: 600;
    }
    .head > span:first-child {
      flex: 1;
    }
    .time {
      color: var(--muted);
      font-weight: normal;
      font-variant-numeric: tabular-nums;
    }
    pre {
      margin: 6px 0;
      padding: 8px 10px;
      border-radius: 6px;
      font-family: var(--mono);
      font-size: 13px;
      line-height: 1.45;
      overflow: auto;
      white-space: pre;
    }
    pre.script {
      background: var(--code-bg);
      color: var(--text);
    }
    pre.output {
      max-height: 14em;
      background: var(--term-bg);
      color: var(--term-text);
    }
    .host {
      color: var(--muted);
      font-size: 13px;
    }
    .error {
      color: var(--bad);
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    button {
      font: inherit;
      font-size: 13px;
      padding: 1px 10px;
      border-radius: 6px;
      border: 1px solid var(--border);
      background: var(--panel);
      color: var(--text);
      cursor: pointer;
    }
  `;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.timer);
    this.timer = undefined;
  }

  protected updated(changed: PropertyValues): void {
    this.dataset.state = this.run.state;
    // A clock while it runs; none once it ended.
    if (this.run.state === 'running' && this.timer === undefined)
      this.timer = window.setInterval(() => (this.now = Date.now()), 1000);
    if (this.run.state !== 'running') {
      window.clearInterval(this.timer);
      this.timer = undefined;
    }
    if (changed.has('run')) {
      const out = this.renderRoot.querySelector('pre.output');
      if (out) out.scrollTop = out.scrollHeight;
    }
  }

  private head() {
    const r = this.run;
    const seconds = Math.round((r.elapsedMs ?? this.now - r.startedAt) / 1000);
    const time = html`<span class="time">${t(`${seconds} 秒`, `${seconds} s`)}</span>`;
    const close = html`<button
      @click=${() => this.dispatchEvent(new CustomEvent('dl-skip-close', { bubbles: true, composed: true }))}
    >
      ${t('关闭', 'Close')}
    </button>`;
    switch (r.state) {
      case 'running':
        return html`<div class="head" role="status">
          <span
            >${t(`正在替你运行第 ${r.step + 1} 步的参考答案…`, `Running step ${r.step + 1}’s reference solution for you…`)}${r.host && Object.keys(r.scripts).length > 1 ? t(`（${r.host}）`, ` (${r.host})`) : ''}</span
          >${time}
        </div>`;
      case 'done':
        return html`<div class="head" role="status">
          <span
            >${t(`已跳过：第 ${r.step + 1} 步的参考答案已在你的实验机器上运行完。`, `Skipped: step ${r.step + 1}’s reference solution ran in your lab.`)}</span
          >${time}${close}
        </div>`;
      case 'failed':
        return html`<div class="head" role="alert">
          <span
            >${t('参考答案没能运行成功，这一步没有记为跳过。', 'The reference solution failed; the step was not marked skipped.')}</span
          >${time}${close}
        </div>`;
      default:
        return r.state satisfies never;
    }
  }

  render() {
    void this.settings;
    const r = this.run;
    const several = Object.keys(r.scripts).length > 1;
    return html`
      ${this.head()}
      ${Object.entries(r.scripts).map(
        ([host, script]) =>
          html`${several ? html`<div class="host">${host}</div>` : nothing}
            <pre class="script" aria-label=${t('运行的命令', 'Commands run')}>${script}</pre>`,
      )}
      ${r.output ? html`<pre class="output" aria-label=${t('输出', 'Output')}>${r.output}</pre>` : nothing}
      ${r.error ? html`<p class="error">${t(r.error)}</p>` : nothing}
    `;
  }
}

customElements.define('dl-skip-run', DlSkipRun);
declare global {
  interface HTMLElementTagNameMap {
    'dl-skip-run': DlSkipRun;
  }
}
