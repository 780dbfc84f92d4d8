/**
 * The side panel: series, level, Z and T pickers, a row per channel (shown, colour, contrast window as
 * numbers and sliders) and the metadata table. It edits a `ViewState` and reports each change.
 */
import { factRows, type ImageFacts } from '../image-facts.js';
import { colorToHex, hexToColor, type ViewState } from '../view-state.js';

export interface PanelEvents {
  /** The plane, level or a channel's look changed (`looks`: colours, windows or visibility). */
  change(state: ViewState, looks: boolean): void;
  /** Another series was picked: the page opens it (new sizes, levels and channels). */
  series(index: number): void;
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(el, rest);
  if (dataset) Object.assign(el.dataset, dataset);
  el.append(...children);
  return el;
}

export class Panel {
  #events: PanelEvents;
  #state?: ViewState;

  constructor(events: PanelEvents) {
    this.#events = events;
    byId<HTMLSelectElement>('series').addEventListener('change', (e) =>
      this.#events.series(Number((e.target as HTMLSelectElement).value)),
    );
    byId<HTMLSelectElement>('level').addEventListener('change', (e) => {
      const value = (e.target as HTMLSelectElement).value;
      this.#update((s) => {
        s.level = value === 'auto' ? 'auto' : Number(value);
      }, false);
    });
    for (const axis of ['z', 't'] as const) {
      byId<HTMLInputElement>(axis).addEventListener('input', (e) => {
        const value = Number((e.target as HTMLInputElement).value);
        byId<HTMLOutputElement>(`${axis}-out`).value = String(value);
        this.#update((s) => {
          s[axis] = value;
        }, false);
      });
    }
  }

  /** Shows a newly opened series with its first state; `ranges` are the contrast sliders' spans. */
  show(facts: ImageFacts, seriesNames: string[], state: ViewState, ranges: Array<[number, number]>): void {
    this.#state = state;
    const series = byId<HTMLSelectElement>('series');
    series.replaceChildren(
      ...seriesNames.map((name, i) =>
        element('option', { value: String(i), textContent: `${i}: ${name || '(unnamed)'}` }),
      ),
    );
    series.value = String(state.series);
    series.disabled = seriesNames.length < 2;
    const level = byId<HTMLSelectElement>('level');
    level.replaceChildren(
      element('option', { value: 'auto', textContent: 'auto (from the zoom)' }),
      ...facts.levels.map((l, i) =>
        element('option', { value: String(i), textContent: `${i}: ${l.sizeX}×${l.sizeY}` }),
      ),
    );
    level.value = String(state.level);
    for (const [axis, size] of [
      ['z', facts.sizeZ],
      ['t', facts.sizeT],
    ] as const) {
      const input = byId<HTMLInputElement>(axis);
      input.max = String(size - 1);
      input.value = String(state[axis]);
      input.disabled = size < 2;
      byId<HTMLOutputElement>(`${axis}-out`).value = `${state[axis]} / ${size}`;
    }
    this.#showChannels(facts, ranges);
    byId('facts').replaceChildren(
      ...factRows(facts).map(([k, v]) =>
        element('tr', {}, element('th', { textContent: k }), element('td', { textContent: v })),
      ),
    );
    for (const id of ['plane', 'channels', 'metadata']) byId(id).hidden = false;
  }

  #showChannels(facts: ImageFacts, ranges: Array<[number, number]>): void {
    const box = byId('channels');
    for (const row of box.querySelectorAll('.channel')) row.remove();
    const step = facts.dtype.startsWith('float') ? 'any' : '1';
    this.#state!.channels.forEach((ch, c) => {
      const [lo, hi] = ranges[c]!;
      const visible = element('input', {
        type: 'checkbox',
        checked: ch.visible,
        dataset: { role: 'visible' },
      });
      const color = element('input', {
        type: 'color',
        value: colorToHex(ch.color),
        dataset: { role: 'color' },
      });
      const numbers = (role: 'min' | 'max') =>
        element('input', { type: 'number', step, value: String(ch[role]), dataset: { role } });
      const slider = (role: 'min' | 'max') =>
        element('input', {
          type: 'range',
          min: String(lo),
          max: String(hi),
          step: step === 'any' ? String((hi - lo) / 1000) : '1',
          value: String(ch[role]),
          dataset: { role: `${role}-slider` },
        });
      const minNumber = numbers('min');
      const maxNumber = numbers('max');
      const minSlider = slider('min');
      const maxSlider = slider('max');
      const row = element(
        'div',
        { className: 'channel', dataset: { channel: String(c) } },
        visible,
        element('span', { className: 'name', textContent: facts.channelNames[c] || `Channel ${c}` }),
        color,
        element('div', { className: 'window' }, 'min', minSlider, minNumber, 'max', maxSlider, maxNumber),
      );
      const set = (change: (s: ViewState['channels'][number]) => void) =>
        this.#update((s) => change(s.channels[c]!), true);
      visible.addEventListener('change', () =>
        set((s) => {
          s.visible = visible.checked;
        }),
      );
      color.addEventListener('input', () =>
        set((s) => {
          s.color = hexToColor(color.value);
        }),
      );
      // The number boxes and sliders mirror each other; either sets the window.
      for (const [role, number, range] of [
        ['min', minNumber, minSlider],
        ['max', maxNumber, maxSlider],
      ] as const) {
        const apply = (value: number, from: HTMLInputElement) => {
          if (!Number.isFinite(value)) return;
          if (from !== number) number.value = String(value);
          if (from !== range) range.value = String(value);
          set((s) => {
            s[role] = value;
          });
        };
        number.addEventListener('change', () => apply(number.valueAsNumber, number));
        range.addEventListener('input', () => apply(range.valueAsNumber, range));
      }
      box.append(row);
    });
  }

  #update(change: (s: ViewState) => void, looks: boolean): void {
    if (!this.#state) return;
    change(this.#state);
    this.#events.change(this.#state, looks);
  }
}
