import { LitElement, css, html, nothing } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { Task } from '@lit/task';
import type { SessionView } from '../engine/protocol.ts';
import { api, ApiFailure } from './api.ts';
import { SettingsController, currentLang, currentTheme, setLang, setTheme, t } from './i18n.ts';
import './dl-class-sign-in.ts';
import './dl-lesson-list.ts';
import './dl-lesson-page.ts';

/** The whole page: top bar (language, theme) and a hash route, `#/` or `#/lesson/<id>`. */
export class DlApp extends LitElement {
  static properties = { route: { state: true } };
  declare route: string;

  private readonly settings = new SettingsController(this);
  private readonly session = new Task(this, {
    task: () => api<SessionView>('GET', '/api/session'),
    args: () => [],
  });
  private readonly onHash = (): void => {
    this.route = location.hash;
  };

  constructor() {
    super();
    this.route = location.hash;
  }

  connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
  }

  static styles = css`
    :host {
      display: flex;
      flex-direction: column;
      height: 100%;
    }
    header {
      display: flex;
      align-items: center;
      gap: 12px;
      height: 44px;
      padding: 0 16px;
      border-bottom: 1px solid var(--border);
      background: var(--panel);
      flex: none;
    }
    .brand {
      font-weight: 700;
      font-size: 16px;
      color: inherit;
      text-decoration: none;
    }
    .logo {
      display: inline-block;
      width: 14px;
      height: 14px;
      margin-right: 8px;
      border-radius: 3px;
      background: var(--accent);
      vertical-align: -1px;
    }
    .spacer {
      flex: 1;
    }
    button {
      font: inherit;
      font-size: 13.5px;
      padding: 3px 12px;
      border: 1px solid var(--border);
      border-radius: 6px;
      background: var(--panel);
      color: var(--text);
      cursor: pointer;
    }
    button:focus-visible,
    a:focus-visible {
      outline: 2px solid var(--focus);
      outline-offset: 1px;
    }
    .skip {
      position: absolute;
      left: -999px;
    }
    .skip:focus {
      left: 8px;
      top: 8px;
      z-index: 10;
      background: var(--panel);
      padding: 4px 8px;
    }
    main {
      flex: 1;
      min-height: 0;
      display: flex;
      flex-direction: column;
    }
    main > * {
      flex: 1;
      min-height: 0;
    }
  `;

  render() {
    void this.settings;
    const m = /^#\/lesson\/([\w-]+)/.exec(this.route);
    return html`
      <a class="skip" href="#main">${t('跳到正文', 'Skip to content')}</a>
      <header>
        <a class="brand" href="#/"
          ><span class="logo" aria-hidden="true"></span>${t('Docker 实验室', 'Docker Lab')}</a
        >
        ${m ? html`<a href="#/" style="color:var(--muted)">${t('← 课程目录', '← Chapters')}</a>` : nothing}
        <span class="spacer"></span>
        <button @click=${() => setLang(currentLang() === 'zh' ? 'en' : 'zh')} aria-label="Language / 语言">
          ${currentLang() === 'zh' ? 'English' : '中文'}
        </button>
        <button @click=${() => setTheme(currentTheme() === 'dark' ? 'light' : 'dark')}>
          ${currentTheme() === 'dark' ? t('☀ 浅色', '☀ Light') : t('☾ 深色', '☾ Dark')}
        </button>
      </header>
      <main id="main">
        ${this.session.render({
          pending: () => nothing,
          // Class mode: nothing until the learner signs in (401), then everything loads again.
          error: (e) =>
            e instanceof ApiFailure && e.status === 401
              ? html`<dl-class-sign-in
                  .session=${null}
                  @dl-signed-in=${() => this.session.run()}
                ></dl-class-sign-in>`
              : html`<p role="alert">${t('连不上服务器。', 'Cannot reach the server.')}</p>`,
          // Keyed: another lesson gets a new page, with its own terminals (a reused page would keep
          // the old lesson's sockets and mix its progress into the new lesson's steps).
          complete: (s) =>
            m
              ? keyed(m[1], html`<dl-lesson-page lesson-id=${m[1]!} learner=${s.learnerId}></dl-lesson-page>`)
              : html`<dl-lesson-list
                  .session=${s}
                  @dl-signed-in=${() => this.session.run()}
                ></dl-lesson-list>`,
        })}
      </main>
    `;
  }
}

customElements.define('dl-app', DlApp);
declare global {
  interface HTMLElementTagNameMap {
    'dl-app': DlApp;
  }
}
