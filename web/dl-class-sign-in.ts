import { LitElement, css, html, nothing } from 'lit';
import type { SessionView } from '../engine/protocol.ts';
import { api, ApiFailure } from './api.ts';
import { SettingsController, t } from './i18n.ts';

/**
 * Sign-in with the class code and a name, so a learner finds their progress on another computer.
 * Shown only when the server has a class code (DOCKERLAB_CLASS_CODE).
 * @fires dl-signed-in - the new SessionView, as `detail`; the page reloads its data
 */
export class DlClassSignIn extends LitElement {
  static properties = { session: { attribute: false }, error: { state: true } };
  declare session: SessionView;
  declare error: string | null;

  private readonly settings = new SettingsController(this);

  constructor() {
    super();
    this.error = null;
  }

  static styles = css`
    :host {
      display: block;
      margin-top: 28px;
      color: var(--muted);
      font-size: 14px;
    }
    form {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      align-items: center;
    }
    input,
    button {
      font: inherit;
      padding: 3px 8px;
      border: 1px solid var(--border);
      border-radius: 6px;
      background: var(--panel);
      color: var(--text);
    }
    .error {
      color: var(--bad);
    }
  `;

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    try {
      const s = await api<SessionView>('POST', '/api/session', {
        classCode: data.get('code'),
        name: data.get('name'),
      });
      this.error = null;
      this.dispatchEvent(new CustomEvent('dl-signed-in', { detail: s, bubbles: true, composed: true }));
    } catch (err) {
      this.error = err instanceof ApiFailure ? t(err.text) : String(err);
    }
  }

  render() {
    void this.settings;
    if (!this.session.classCode) return nothing;
    if (this.session.name) return html`${t(`你好，${this.session.name}。`, `Hello, ${this.session.name}.`)}`;
    return html`<form @submit=${this.submit}>
        <span
          >${t('在课堂上？输入班级代码和名字，换电脑也能接着学：', 'In a class? Sign in to keep your progress on any computer:')}</span
        >
        <input
          name="code"
          required
          placeholder=${t('班级代码', 'class code')}
          aria-label=${t('班级代码', 'class code')}
        />
        <input
          name="name"
          required
          maxlength="40"
          placeholder=${t('名字', 'name')}
          aria-label=${t('名字', 'name')}
        />
        <button type="submit">${t('登录', 'Sign in')}</button>
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}`;
  }
}

customElements.define('dl-class-sign-in', DlClassSignIn);
declare global {
  interface HTMLElementTagNameMap {
    'dl-class-sign-in': DlClassSignIn;
  }
}
