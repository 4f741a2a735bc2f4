// Pan and zoom for an SVG drawing by moving its viewBox: the wheel zooms around the pointer, a
// drag on the drawing pans it. A drag does not click what it started on. A drag the browser
// cancels (a touch turned into a scroll, a lost capture, the window losing focus) ends there,
// so the drawing never keeps following a pointer whose button is up.
import { useRef, useState } from "preact/hooks";
import type { Box } from "./layout";

const DRAG_THRESHOLD_PX = 4;
const MAX_ZOOM_IN = 6;
const MAX_ZOOM_OUT = 4;

interface Drag {
  pointerId: number;
  clientX: number;
  clientY: number;
  view: Box;
  unitsPerPixel: number;
  moved: boolean;
}

export interface PanZoom {
  view: Box;
  svgRef: { current: SVGSVGElement | null };
  reset: () => void;
  handlers: {
    onWheel: (event: WheelEvent) => void;
    onPointerDown: (event: PointerEvent) => void;
    onPointerMove: (event: PointerEvent) => void;
    onPointerUp: (event: PointerEvent) => void;
    onPointerCancel: (event: PointerEvent) => void;
    onLostPointerCapture: (event: PointerEvent) => void;
    onClickCapture: (event: MouseEvent) => void;
  };
}

/** The view of a drawing of size `whole`; back to all of it whenever `whole` changes. */
export function usePanZoom(whole: Box): PanZoom {
  // The view belongs to the drawing it was made for: a new drawing starts from all of it.
  const [state, setState] = useState({ whole, view: whole });
  const view = state.whole === whole ? state.view : whole;
  const setView = (next: Box | ((current: Box) => Box)) =>
    setState((previous) => {
      const current = previous.whole === whole ? previous.view : whole;
      return { whole, view: typeof next === "function" ? next(current) : next };
    });
  const svgRef = useRef<SVGSVGElement | null>(null);
  const drag = useRef<Drag | null>(null);
  const dragged = useRef(false);

  const toDrawing = (clientX: number, clientY: number) => {
    const matrix = svgRef.current?.getScreenCTM();
    if (!matrix) return null;
    return new DOMPoint(clientX, clientY).matrixTransform(matrix.inverse());
  };

  const onWheel = (event: WheelEvent) => {
    const at = toDrawing(event.clientX, event.clientY);
    if (!at) return;
    event.preventDefault();
    setView((current) => {
      let factor = Math.exp(event.deltaY * 0.0015);
      const width = Math.min(Math.max(current.width * factor, whole.width / MAX_ZOOM_IN), whole.width * MAX_ZOOM_OUT);
      factor = width / current.width;
      return {
        x: at.x - (at.x - current.x) * factor,
        y: at.y - (at.y - current.y) * factor,
        width,
        height: current.height * factor,
      };
    });
  };

  const onPointerDown = (event: PointerEvent) => {
    const matrix = svgRef.current?.getScreenCTM();
    if (event.button !== 0 || !matrix) return;
    dragged.current = false;
    drag.current = {
      pointerId: event.pointerId,
      clientX: event.clientX,
      clientY: event.clientY,
      view,
      unitsPerPixel: 1 / matrix.a,
      moved: false,
    };
  };

  const onPointerMove = (event: PointerEvent) => {
    const current = drag.current;
    if (!current || current.pointerId !== event.pointerId) return;
    const dx = event.clientX - current.clientX;
    const dy = event.clientY - current.clientY;
    if (!current.moved) {
      if (Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
      current.moved = true;
      svgRef.current?.setPointerCapture(event.pointerId);
    }
    setView({
      ...current.view,
      x: current.view.x - dx * current.unitsPerPixel,
      y: current.view.y - dy * current.unitsPerPixel,
    });
  };

  const onPointerUp = (event: PointerEvent) => {
    const current = drag.current;
    if (!current || current.pointerId !== event.pointerId) return;
    dragged.current = current.moved;
    drag.current = null;
  };

  /** The drag ends where it is, and clicks nothing: the view stays as it was dragged to. */
  const onPointerCancel = (event: PointerEvent) => {
    const current = drag.current;
    if (!current || current.pointerId !== event.pointerId) return;
    drag.current = null;
    dragged.current = false;
  };

  const onPointerMoveGuarded = (event: PointerEvent) => {
    // A move without the primary button down belongs to no drag (its end went unseen).
    if (drag.current && (event.buttons & 1) === 0 && event.pointerType === "mouse") {
      onPointerCancel(event);
      return;
    }
    onPointerMove(event);
  };

  const onClickCapture = (event: MouseEvent) => {
    if (!dragged.current) return;
    dragged.current = false;
    event.preventDefault();
    event.stopPropagation();
  };

  return {
    view,
    svgRef,
    reset: () => setView(whole),
    handlers: {
      onWheel,
      onPointerDown,
      onPointerMove: onPointerMoveGuarded,
      onPointerUp,
      onPointerCancel,
      onLostPointerCapture: onPointerCancel,
      onClickCapture,
    },
  };
}
