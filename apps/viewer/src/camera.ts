/**
 * The view transform: which part of the image the canvas shows. Everything is in level-0 (full
 * resolution) pixel coordinates and canvas (device) pixels, so level choice and tile placement never
 * depend on CSS zoom or devicePixelRatio.
 *
 * A canvas pixel (i, j) shows the image point (x0 + (i + 0.5) / scale, y0 + (j + 0.5) / scale).
 */

export interface Camera {
  /** Image x, y (level-0 pixels) at the canvas's top-left corner. */
  x0: number;
  y0: number;
  /** Canvas pixels per level-0 pixel (1 = actual size, 0.25 = four image pixels per screen pixel). */
  scale: number;
}

export interface Size {
  width: number;
  height: number;
}

/** A rectangle in level-0 pixels, half-open: [x0, x1) × [y0, y1). */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The smallest and largest zoom: a whole 100k-pixel slide on a few pixels, or one pixel over 64. */
export const MIN_SCALE = 1 / 4096;
export const MAX_SCALE = 64;

const clampScale = (s: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));

/** The whole image centred in the view, as large as fits. */
export function fitCamera(image: Size, view: Size): Camera {
  const scale = clampScale(Math.min(view.width / image.width, view.height / image.height));
  return {
    scale,
    x0: image.width / 2 - view.width / (2 * scale),
    y0: image.height / 2 - view.height / (2 * scale),
  };
}

/**
 * Zooms by `factor` keeping the image point under canvas pixel (px, py) where it is (the mouse wheel's
 * zoom; the buttons zoom about the view's centre).
 */
export function zoomAt(camera: Camera, factor: number, px: number, py: number): Camera {
  const scale = clampScale(camera.scale * factor);
  const ix = camera.x0 + px / camera.scale;
  const iy = camera.y0 + py / camera.scale;
  return { scale, x0: ix - px / scale, y0: iy - py / scale };
}

/** Moves the image by (dx, dy) canvas pixels (a drag). */
export function panBy(camera: Camera, dx: number, dy: number): Camera {
  return { ...camera, x0: camera.x0 - dx / camera.scale, y0: camera.y0 - dy / camera.scale };
}

/**
 * Moves the camera by less than one canvas pixel so that image pixel edges fall on canvas pixel edges
 * (x0·scale a whole number). At whole-number scales every image pixel then covers exactly scale×scale
 * canvas pixels: the buttons snap, so "actual size" and its doublings show pixels undistorted.
 */
export function snapToPixels(camera: Camera): Camera {
  const { scale } = camera;
  return { scale, x0: Math.round(camera.x0 * scale) / scale, y0: Math.round(camera.y0 * scale) / scale };
}

/** The part of the image plane the view shows, in level-0 pixels (not clipped to the image). */
export function visibleRect(camera: Camera, view: Size): Rect {
  return {
    x0: camera.x0,
    y0: camera.y0,
    x1: camera.x0 + view.width / camera.scale,
    y1: camera.y0 + view.height / camera.scale,
  };
}
