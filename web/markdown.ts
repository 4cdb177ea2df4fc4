/**
 * Lesson Markdown to safe HTML: marked (which does not sanitise) → DOMPurify. Code blocks are
 * highlighted by highlight.js and get "复制" / "在终端运行" buttons (shell blocks only); a ```topology
 * block becomes a small live diagram, <dl-topology compact> (engine/topology/fence.ts).
 */
import { Marked, type Tokens } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import ini from 'highlight.js/lib/languages/ini';
import json from 'highlight.js/lib/languages/json';
import nginx from 'highlight.js/lib/languages/nginx';
import python from 'highlight.js/lib/languages/python';
import yaml from 'highlight.js/lib/languages/yaml';
import sql from 'highlight.js/lib/languages/sql';
import { parseTopologyFence } from '../engine/topology/fence.ts';

for (const [name, lang] of Object.entries({ bash, dockerfile, ini, json, nginx, python, yaml, sql })) {
  hljs.registerLanguage(name, lang);
}
hljs.registerAliases(['sh', 'shell', 'console'], { languageName: 'bash' });

/** Blocks a learner can run as they are; an unlabelled block in this course is a command too. */
const runnable = new Set(['', 'bash', 'sh', 'shell', 'console']);

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const marked = new Marked({
  gfm: true,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = (lang ?? '').trim().split(/\s+/)[0] ?? '';
      if (language === 'topology') {
        // A small live diagram of what the block names; one the linter would refuse stays code.
        const { fence, problems } = parseTopologyFence(text);
        if (!problems.length)
          return `<dl-topology compact show="${escapeHtml(fence.show.join(' '))}"${fence.host ? ` host="${escapeHtml(fence.host)}"` : ''}></dl-topology>`;
      }
      const body = hljs.getLanguage(language || 'bash')
        ? hljs.highlight(text, { language: language || 'bash', ignoreIllegals: true }).value
        : escapeHtml(text);
      const run = runnable.has(language)
        ? '<button type="button" class="run" data-action="run">在终端运行</button>'
        : '';
      return (
        `<div class="code"><div class="actions"><button type="button" data-action="copy">复制</button>${run}</div>` +
        `<pre><code class="hljs" data-lang="${escapeHtml(language)}">${body}</code></pre></div>`
      );
    },
    link({ href, text }: Tokens.Link): string {
      // Lesson links leave the page: open them beside it, never in place of the terminal.
      return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
    },
  },
});

export function renderMarkdown(source: string): string {
  const raw = marked.parse(source, { async: false });
  // <dl-topology> is ours (a lesson's live diagram); only the attributes the renderer above writes.
  return DOMPurify.sanitize(raw, {
    ADD_TAGS: ['dl-topology'],
    ADD_ATTR: ['target', 'compact', 'show', 'host'],
    // `show="netns:ns1"` looks like a URI of an unknown scheme, which DOMPurify drops; its names
    // were checked by parseTopologyFence (no quotes, no `<`, no spaces inside a name).
    ADD_URI_SAFE_ATTR: ['show', 'host'],
  });
}
