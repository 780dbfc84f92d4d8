import { describe, expect, it } from 'vitest';
import { TileCache } from '../src/tile-cache.js';

describe('tile cache', () => {
  it('keeps at most its byte bound, evicting the least recently used', () => {
    const cache = new TileCache<string>(100);
    const evicted: string[] = [];
    cache.onEvict = (key) => evicted.push(key);
    cache.set('a', 'A', 40);
    cache.set('b', 'B', 40);
    expect(cache.get('a')).toBe('A'); // a is now more recent than b
    cache.set('c', 'C', 40); // 120 > 100: b goes
    expect(evicted).toEqual(['b']);
    expect(cache.has('b')).toBe(false);
    expect(cache.bytes).toBe(80);
    cache.peek('a'); // peeking does not refresh: a is still older than c
    cache.set('d', 'D', 30);
    expect(evicted).toEqual(['b', 'a']);
    expect([cache.has('c'), cache.has('d')]).toEqual([true, true]);
    expect(cache.bytes).toBe(70);
  });

  it('replaces a key without counting it twice, and refuses a value larger than the bound', () => {
    const cache = new TileCache<number>(100);
    cache.set('a', 1, 60);
    cache.set('a', 2, 50);
    expect(cache.bytes).toBe(50);
    expect(cache.get('a')).toBe(2);
    cache.set('big', 3, 101);
    expect(cache.has('big')).toBe(false);
    expect(cache.has('a')).toBe(true); // an oversized value does not flush the cache
    expect(cache.delete('a')).toBe(true);
    expect(cache.bytes).toBe(0);
    expect(() => new TileCache(0)).toThrow(RangeError);
  });
});
