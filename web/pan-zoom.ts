/**
 * Pan and zoom of a picture inside a viewport, by CSS transform: drag or arrow keys to pan, wheel
 * or +/− to zoom (around the pointer, or the centre), 0 to fit. Once the user moved it, `placed` is
 * true and callers keep the view across redraws instead of fitting again.
 */

/** Below 0.2 nothing is legible; above 3 one box fills the panel. */
const minScale = 0.2;
const maxScale = 3;
const clamp = (s: number): number => Math.min(maxScale, Math.max(minScale, s));

export class PanZoom {
  scale = 1;
  tx = 0;
  ty = 0;
  placed = false;
  /** A drag just ended: the click that follows it must not act on what is under the pointer. */
  dragMoved = false;
  private drag: { x: number; y: number; tx: number; ty: number; id: number } | null = null;

  constructor(
    private readonly viewport: () => HTMLElement | null,
    private readonly canvas: () => HTMLElement | null,
    /** The picture's own size, or null before there is one. */
    private readonly size: () => { width: number; height: number } | null,
  ) {}

  /**
   * Whole picture in view, centred, never blown up past 1.25×. With `readable`, never shrunk below
   * 0.5× either (at less, 12 px labels are unreadable): a big picture then starts at its top left
   * and the rest is a pan away. The Fit button asks for the whole picture.
   */
  fit(readable = false): void {
    const v = this.viewport();
    const p = this.size();
    if (!v || !p) return;
    const w = Math.max(1, p.width);
    const h = Math.max(1, p.height);
    const whole = clamp(Math.min(v.clientWidth / w, v.clientHeight / h, 1.25));
    this.scale = readable ? Math.max(whole, 0.5) : whole;
    this.tx = this.scale > whole ? 8 : (v.clientWidth - w * this.scale) / 2;
    this.ty = this.scale > whole ? 8 : Math.max(0, (v.clientHeight - h * this.scale) / 2);
    this.placed = false;
    this.apply();
  }

  zoomBy(f: number, cx?: number, cy?: number): void {
    const v = this.viewport();
    if (!v) return;
    const x = cx ?? v.clientWidth / 2;
    const y = cy ?? v.clientHeight / 2;
    const s = clamp(this.scale * f);
    this.tx = x - ((x - this.tx) * s) / this.scale;
    this.ty = y - ((y - this.ty) * s) / this.scale;
    this.scale = s;
    this.placed = true;
    this.apply();
  }

  panBy(dx: number, dy: number): void {
    this.tx += dx;
    this.ty += dy;
    this.placed = true;
    this.apply();
  }

  apply(): void {
    const c = this.canvas();
    if (c) c.style.transform = `translate(${this.tx}px, ${this.ty}px) scale(${this.scale})`;
  }

  readonly onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    const r = this.viewport()!.getBoundingClientRect();
    this.zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  };

  readonly onPointerDown = (e: PointerEvent): void => {
    if (e.button !== 0) return;
    this.drag = { x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty, id: e.pointerId };
    this.dragMoved = false;
  };

  readonly onPointerMove = (e: PointerEvent): void => {
    const d = this.drag;
    if (!d || d.id !== e.pointerId) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!this.dragMoved && Math.hypot(dx, dy) < 4) return; // a click, not a drag
    if (!this.dragMoved) this.viewport()?.setPointerCapture(e.pointerId);
    this.dragMoved = true;
    this.viewport()?.classList.add('dragging');
    this.tx = d.tx + dx;
    this.ty = d.ty + dy;
    this.placed = true;
    this.apply();
  };

  readonly onPointerUp = (): void => {
    this.drag = null;
    this.viewport()?.classList.remove('dragging');
    // Cleared after the click event that ends the drag has run.
    setTimeout(() => (this.dragMoved = false));
  };

  /** Keys on the viewport itself (keys on a focused box inside it are the box's). */
  readonly onKey = (e: KeyboardEvent): void => {
    if (e.target !== e.currentTarget) return;
    const step = 40;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => this.panBy(step, 0),
      ArrowRight: () => this.panBy(-step, 0),
      ArrowUp: () => this.panBy(0, step),
      ArrowDown: () => this.panBy(0, -step),
      '+': () => this.zoomBy(1.2),
      '=': () => this.zoomBy(1.2),
      '-': () => this.zoomBy(1 / 1.2),
      '0': () => this.fit(),
    };
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  };
}
