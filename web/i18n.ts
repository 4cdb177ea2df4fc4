/**
 * Language and theme of the page (zh-CN first, English second), kept in localStorage. Components
 * re-render on a change through SettingsController.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Text } from '../engine/protocol.ts';

export type Lang = 'zh' | 'en';
export type Theme = 'light' | 'dark';
const changed = 'dl-settings-changed';

function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

let lang: Lang = stored('dl-lang') === 'en' ? 'en' : 'zh';

export function currentLang(): Lang {
  return lang;
}

export function setLang(l: Lang): void {
  lang = l;
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  localStorage.setItem('dl-lang', l);
  window.dispatchEvent(new Event(changed));
}

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

export function setTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
  localStorage.setItem('dl-theme', t);
  window.dispatchEvent(new Event(changed));
}

/** Picks the current language's text: `t('检查', 'Check')` or `t({ zh, en })`. */
export function t(zh: string | Text, en?: string): string {
  if (typeof zh === 'object') return lang === 'zh' ? zh.zh : zh.en;
  return lang === 'zh' ? zh : (en ?? zh);
}

export class SettingsController implements ReactiveController {
  private readonly onChange = (): void => this.host.requestUpdate();
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    window.addEventListener(changed, this.onChange);
  }
  hostDisconnected(): void {
    window.removeEventListener(changed, this.onChange);
  }
}
