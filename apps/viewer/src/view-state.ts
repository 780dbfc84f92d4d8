/**
 * What the user has chosen: the plane, the level (or automatic), and how each channel looks. The page's
 * controls edit it; the tile view draws it.
 */
import type { RGB } from './composite.js';

export interface ChannelSetting {
  visible: boolean;
  /** Contrast window: values at or below `min` show black, at or above `max` the full colour. */
  min: number;
  max: number;
  color: RGB;
}

export interface ViewState {
  series: number;
  z: number;
  t: number;
  /** 'auto': the level the zoom calls for (`chooseLevel`); a number: always that level. */
  level: 'auto' | number;
  channels: ChannelSetting[];
}

/** '#ff8000' for [255, 128, 0] (what `<input type=color>` takes). */
export function colorToHex(color: RGB): string {
  return `#${color.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** [255, 128, 0] for '#ff8000'. */
export function hexToColor(hex: string): RGB {
  const n = Number.parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
