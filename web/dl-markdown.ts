import { LitElement, css, html, type PropertyValues } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { renderMarkdown } from './markdown.ts';
import { SettingsController, t } from './i18n.ts';
import { codeStyles } from './code-styles.ts';
// A lesson's ```topology block renders as a live diagram (markdown.ts).
import './dl-topology.ts';

/**
 * Renders lesson Markdown (sanitised) with copy and run buttons on code blocks, and a live
 * <dl-topology compact> for each ```topology block.
 * @fires dl-run - "在终端运行" pressed; `detail` is the command text
 */
export class DlMarkdown extends LitElement {
  static properties = { source: {} };
  declare source: string;

  static styles = [
    codeStyles,
    css`
      :host {
        display: block;
      }
      p,
      ul,
      ol {
        margin: 0.5em 0;
      }
      code {
        font-family: var(--mono);
        font-size: 0.9em;
        background: var(--code-bg);
        padding: 0.1em 0.3em;
        border-radius: 4px;
      }
      .code {
        position: relative;
        margin: 0.6em 0;
        border: 1px solid var(--border);
        border-radius: 6px;
        background: var(--code-bg);
      }
      .code pre {
        margin: 0;
        padding: 0 0.8em 0.6em;
        overflow-x: auto;
        font-size: 13.5px;
        line-height: 1.5;
      }
      .code pre code {
        background: none;
        padding: 0;
      }
      /* A comment is there to be read: a long one wraps inside the block (a scrollbar is easy to
         miss, and headless and overlay ones are hidden). Commands keep their lines and scroll. */
      .code pre .hljs-comment {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      /* A bar of its own above the code: floated buttons would narrow the code and cut long lines. */
      .actions {
        display: flex;
        justify-content: flex-end;
        gap: 6px;
        padding: 4px 6px 0;
      }
      .actions button {
        font: inherit;
        font-size: 12.5px;
        padding: 2px 10px;
        border: 1px solid var(--border);
        border-radius: 4px;
        background: var(--panel);
        color: var(--text);
        cursor: pointer;
      }
      .actions button.run {
        border-color: var(--accent);
        color: var(--accent);
      }
      .actions button:focus-visible {
        outline: 2px solid var(--focus);
      }
      a {
        color: var(--accent);
      }
      dl-topology {
        margin: 0.6em 0;
      }
    `,
  ];

  private readonly settings = new SettingsController(this);
  private html = '';

  protected willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('source')) this.html = renderMarkdown(this.source ?? '');
  }

  render() {
    void this.settings;
    return html`<div @click=${this.onClick}>${unsafeHTML(this.html)}</div>`;
  }

  protected updated(): void {
    // Button labels follow the language; the Markdown itself stays as written.
    for (const b of this.renderRoot.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
      if (b.dataset.state) continue;
      b.textContent = b.dataset.action === 'run' ? t('在终端运行', 'Run in terminal') : t('复制', 'Copy');
    }
  }

  private onClick(e: Event): void {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
    if (!button) return;
    const text = button.closest('.code')?.querySelector('code')?.textContent ?? '';
    if (button.dataset.action === 'copy') {
      void navigator.clipboard?.writeText(text).then(() => {
        button.dataset.state = 'done';
        button.textContent = t('已复制 ✓', 'Copied ✓');
        setTimeout(() => {
          delete button.dataset.state;
          this.requestUpdate();
        }, 1500);
      });
    } else {
      this.dispatchEvent(new CustomEvent('dl-run', { detail: text, bubbles: true, composed: true }));
    }
  }
}

customElements.define('dl-markdown', DlMarkdown);
declare global {
  interface HTMLElementTagNameMap {
    'dl-markdown': DlMarkdown;
  }
}
