import { describe, expect, it } from 'vitest';
import { fitCamera, panBy, snapToPixels, visibleRect, zoomAt } from '../src/camera.js';

describe('camera', () => {
  it('fits the whole image, centred, as large as the view allows', () => {
    // 1000×500 in 400×400: the width limits, 0.4 canvas px per image px; 500·0.4 = 200 px tall, centred.
    const cam = fitCamera({ width: 1000, height: 500 }, { width: 400, height: 400 });
    expect(cam.scale).toBeCloseTo(0.4, 12);
    const rect = visibleRect(cam, { width: 400, height: 400 });
    expect(rect.x0).toBeCloseTo(0, 9);
    expect(rect.x1).toBeCloseTo(1000, 9);
    expect((rect.y0 + rect.y1) / 2).toBeCloseTo(250, 9);
    expect(rect.y1 - rect.y0).toBeCloseTo(1000, 9);
  });

  it('zooms about the cursor: the image point under it stays under it', () => {
    const cam = { x0: 100, y0: 50, scale: 0.5 };
    // Canvas pixel (200, 100) shows image point (100 + 200/0.5, 50 + 100/0.5) = (500, 250).
    const zoomed = zoomAt(cam, 4, 200, 100);
    expect(zoomed.scale).toBe(2);
    expect(zoomed.x0 + 200 / zoomed.scale).toBeCloseTo(500, 9);
    expect(zoomed.y0 + 100 / zoomed.scale).toBeCloseTo(250, 9);
  });

  it('clamps zoom to its range', () => {
    expect(zoomAt({ x0: 0, y0: 0, scale: 32 }, 1000, 0, 0).scale).toBe(64);
    expect(zoomAt({ x0: 0, y0: 0, scale: 1 }, 1e-9, 0, 0).scale).toBe(1 / 4096);
  });

  it('pans by canvas pixels: a drag right shows what was left of the view', () => {
    const cam = panBy({ x0: 100, y0: 100, scale: 2 }, 40, -20);
    expect(cam).toEqual({ x0: 80, y0: 110, scale: 2 });
  });

  it('snaps so image pixel edges land on canvas pixel edges', () => {
    const cam = snapToPixels({ x0: 10.3, y0: 7.126, scale: 4 });
    expect(cam.x0 * 4).toBe(41);
    expect(cam.y0 * 4).toBe(29);
    expect(Math.abs(cam.x0 - 10.3) * 4).toBeLessThanOrEqual(0.5);
  });
});
