import { css } from 'lit';

/** highlight.js colours; the values per theme are custom properties set in styles.css. */
export const codeStyles = css`
  .hljs-comment,
  .hljs-quote {
    color: var(--muted);
    font-style: italic;
  }
  .hljs-keyword,
  .hljs-built_in,
  .hljs-selector-tag {
    color: var(--hl-keyword);
  }
  .hljs-string,
  .hljs-attr,
  .hljs-regexp {
    color: var(--hl-string);
  }
  .hljs-number,
  .hljs-literal,
  .hljs-variable,
  .hljs-template-variable {
    color: var(--hl-number);
  }
  .hljs-title,
  .hljs-section,
  .hljs-meta {
    color: var(--hl-title);
  }
`;
