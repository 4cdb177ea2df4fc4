/** The topology panel's own styles (the diagram's colours are engine/topology/svg.ts's, shared with the CLI). */
import { css } from 'lit';

/** How long appear / vanish / move animations run; the keyframes below use it too. */
export const animateMs = 900;

export const panelStyles = css`
  :host([compact]) {
    height: 280px;
    border: 1px solid #30363d;
    border-radius: 8px;
    overflow: hidden;
  }
  :host([compact]) .alt {
    margin: 0;
    padding: 4px 10px;
  }
  :host {
    display: flex;
    flex-direction: column;
    font-family: var(--font, system-ui, sans-serif);
    min-height: 0;
    background: #14171c;
    color: #e6edf3;
    font-size: 13px;
  }
  .bar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px 10px;
    padding: 6px 10px;
    border-bottom: 1px solid #30363d;
  }
  .bar button,
  .bar select {
    font: inherit;
    background: #0d1117;
    color: #e6edf3;
    border: 1px solid #30363d;
    border-radius: 4px;
    padding: 2px 8px;
    cursor: pointer;
  }
  .bar label {
    display: inline-flex;
    gap: 4px;
    align-items: center;
    cursor: pointer;
  }
  button:focus-visible,
  select:focus-visible,
  input:focus-visible,
  .view:focus-visible,
  summary:focus-visible,
  li[tabindex]:focus-visible {
    outline: 2px solid var(--focus, #f59e0b);
    outline-offset: 1px;
  }
  .grow {
    flex: 1;
  }
  .muted {
    color: #9aa5b1;
  }
  .failed {
    margin: 6px 10px 0;
    padding: 6px 10px;
    border-radius: 6px;
    background: #2d1517;
    color: #ffb3b0;
  }
  .failed ul {
    margin: 2px 0 0;
    padding-left: 18px;
  }
  .view {
    position: relative;
    flex: 62 1 0;
    min-height: 120px;
    overflow: hidden;
    cursor: grab;
    touch-action: none;
  }
  .view.dragging {
    cursor: grabbing;
  }
  .canvas {
    position: absolute;
    left: 0;
    top: 0;
    transform-origin: 0 0;
  }
  .canvas svg {
    display: block;
  }
  .empty {
    padding: 24px;
    color: #9aa5b1;
  }
  .topology [data-collapsible] {
    cursor: pointer;
  }
  .topology [data-collapsible]:focus-visible > rect {
    stroke: #f59e0b;
    stroke-width: 3;
  }
  .topology g:focus {
    outline: none;
  }
  .topology .appeared > rect {
    animation: appear ${animateMs}ms ease-out;
  }
  .topology .changed > rect {
    animation: pulse ${animateMs}ms ease-out 2;
  }
  .topology .box.moved.moved > rect {
    stroke: #4fc3f7;
    stroke-width: 3;
  }
  .topology .vanished {
    animation: vanish ${animateMs}ms ease-in forwards;
    pointer-events: none;
  }
  .topology .wire.appeared {
    animation: wire-in ${animateMs}ms ease-out;
  }
  @keyframes appear {
    from {
      stroke: #6fd08f;
      stroke-width: 6;
      opacity: 0;
    }
  }
  @keyframes pulse {
    50% {
      stroke: #e8bd5a;
      stroke-width: 5;
    }
  }
  @keyframes vanish {
    to {
      opacity: 0;
    }
  }
  @keyframes wire-in {
    from {
      opacity: 0;
      stroke-width: 8;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .topology * {
      animation: none !important;
    }
  }
  .changes {
    flex: 38 1 0;
    min-height: 90px;
    overflow-y: auto;
    border-top: 1px solid #30363d;
    padding: 6px 12px 12px;
  }
  h3 {
    font-size: 14px;
    margin: 4px 0;
  }
  h4 {
    font-size: 13px;
    margin: 10px 0 2px;
    color: #9aa5b1;
    font-weight: 600;
  }
  .entry ul,
  .alt ul {
    margin: 2px 0;
    padding-left: 18px;
  }
  .entry li[tabindex] {
    cursor: pointer;
  }
  .entry.picked {
    background: #1f2a38;
    border-radius: 4px;
  }
  .cmd {
    font-family: var(--mono, monospace);
    color: #8cc8ff;
  }
  .op-added::marker {
    content: '+ ';
    color: #6fd08f;
  }
  .op-removed::marker {
    content: '− ';
    color: #f07a7a;
  }
  .op-changed::marker,
  .op-moved::marker {
    content: '~ ';
    color: #e8bd5a;
  }
  .alt {
    margin-top: 10px;
  }
`;
