import { LitElement, css, html, nothing } from 'lit';
import type { SessionView } from '../engine/protocol.ts';
import { call, ApiFailure } from './api.ts';
import { SettingsController, t } from './i18n.ts';

/**
 * Class sign-in: the class code, a name and a PIN, so a learner finds their progress on any
 * computer and nobody else can open it by typing their name. The first sign-in with a name sets
 * its PIN; the form says so before the learner chooses one.
 *
 * `session` null: the server is in class mode and this browser is not signed in (every call
 * answers 401), so this is the whole page. A session without a name (a learner from before the
 * class code was set): a small form under the chapter list, which keeps their progress.
 * @fires dl-signed-in - the new SessionView, as `detail`; the page reloads its data
 */
export class DlClassSignIn extends LitElement {
  static properties = {
    session: { attribute: false },
    error: { state: true },
    busy: { state: true },
  };
  declare session: SessionView | null;
  declare error: string | null;
  declare busy: boolean;

  private readonly settings = new SettingsController(this);

  constructor() {
    super();
    this.session = null;
    this.error = null;
    this.busy = false;
  }

  static styles = css`
    :host {
      display: block;
      margin-top: 28px;
      color: var(--muted);
      font-size: 14px;
    }
    .card {
      max-width: 460px;
      margin: 48px auto;
      padding: 24px 28px;
      border: 1px solid var(--border);
      border-radius: 10px;
      background: var(--panel);
      color: var(--text);
    }
    h1 {
      font-size: 20px;
      margin: 0 0 8px;
    }
    form {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      align-items: center;
    }
    .card form {
      flex-direction: column;
      align-items: stretch;
    }
    label {
      display: flex;
      flex-direction: column;
      gap: 4px;
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
    .card input,
    .card button {
      padding: 6px 10px;
    }
    button:focus-visible,
    input:focus-visible {
      outline: 2px solid var(--focus);
      outline-offset: 1px;
    }
    .note {
      color: var(--muted);
      font-size: 13.5px;
      line-height: 1.6;
    }
    .error {
      color: var(--bad);
    }
  `;

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(data.get(k) ?? '').trim();
    this.busy = true;
    try {
      const s = await call(
        'POST /api/session',
        {},
        {
          classCode: text('code'),
          name: text('name'),
          pin: text('pin'),
        },
      );
      this.error = null;
      this.dispatchEvent(new CustomEvent('dl-signed-in', { detail: s, bubbles: true, composed: true }));
    } catch (err) {
      this.error = err instanceof ApiFailure ? t(err.text) : String(err);
    } finally {
      this.busy = false;
    }
  }

  private fields() {
    return html`<label
        >${t('班级代码', 'Class code')}
        <input name="code" required autocomplete="off" />
      </label>
      <label
        >${t('名字', 'Name')}
        <input name="name" required maxlength="40" autocomplete="username" />
      </label>
      <label
        >${t('PIN（4 到 8 位数字）', 'PIN (4 to 8 digits)')}
        <input
          name="pin"
          type="password"
          required
          inputmode="numeric"
          pattern="[0-9]{4,8}"
          minlength="4"
          maxlength="8"
          autocomplete="current-password"
          title=${t('4 到 8 位数字', '4 to 8 digits')}
        />
      </label>
      <button type="submit" ?disabled=${this.busy}>${t('登录', 'Sign in')}</button>`;
  }

  private firstTime() {
    return html`<p class="note">
      ${t(
        '第一次登录：名字用你的真实姓名（重名就加上学号），PIN 由你自己设，以后就是你的密码，请记住它。之后在任何一台电脑上，用同一个名字和 PIN 登录，就能接着上次的进度学。',
        'First time here? Use your real name (add your student number if a classmate has the same name) and choose a PIN: it becomes your password, so remember it. Sign in with the same name and PIN on any computer to carry on where you left off.',
      )}
    </p>`;
  }

  render() {
    void this.settings;
    const error = this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing;
    if (this.session === null) {
      return html`<section class="card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">${t('登录课堂', 'Sign in to the class')}</h1>
        ${this.firstTime()}
        <form @submit=${this.submit}>${this.fields()}</form>
        ${error}
      </section>`;
    }
    if (!this.session.classCode) return nothing;
    if (this.session.name) return html`${t(`你好，${this.session.name}。`, `Hello, ${this.session.name}.`)}`;
    return html`<span
        >${t(
          '在课堂上？输入班级代码、名字和 PIN，换电脑也能接着学（你在这台电脑上的进度会保留）：',
          'In a class? Sign in with the class code, your name and a PIN to keep your progress on any computer (what you did here is kept):',
        )}</span
      >
      <form @submit=${this.submit}>${this.fields()}</form>
      ${this.firstTime()} ${error}`;
  }
}

customElements.define('dl-class-sign-in', DlClassSignIn);
declare global {
  interface HTMLElementTagNameMap {
    'dl-class-sign-in': DlClassSignIn;
  }
}
