import { RingQueue } from '../src/ring-queue';

describe('the in-memory queue', () => {
  it('keeps first-in-first-out order across wrap-around and growth', () => {
    const q = new RingQueue<number>(5000);
    let next = 0;
    let expected = 0;
    // Interleave pushes and takes so the head wraps while the buffer grows past its first size.
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100; i++) q.push(next++);
      const taken = q.take(30);
      expect(taken).toEqual(Array.from({ length: 30 }, (_, i) => expected + i));
      expected += 30;
    }
    expect(q.size).toBe(40 * 70);
    expect(q.take(Infinity)).toEqual(Array.from({ length: 40 * 70 }, (_, i) => expected + i));
    expect(q.size).toBe(0);
  });

  it('refuses a push beyond its capacity and stores nothing', () => {
    const q = new RingQueue<string>(2);
    expect(q.push('a')).toBe(true);
    expect(q.push('b')).toBe(true);
    expect(q.push('c')).toBe(false);
    expect(q.take(10)).toEqual(['a', 'b']);
  });
});
