import { gridWindow } from '../gridWindow';

describe('gridWindow', () => {
  it('renders the first screen and the margin at the top', () => {
    expect(gridWindow(0, 240, 10_000, 24, 10)).toEqual({
      start: 0,
      end: 20,
      padTop: 0,
      padBottom: 9_980 * 24
    });
  });

  it('follows the scroll position, keeping the total height', () => {
    const w = gridWindow(24 * 5_000, 240, 10_000, 24, 10);
    expect(w).toEqual({
      start: 4_990,
      end: 5_020,
      padTop: 4_990 * 24,
      padBottom: 4_980 * 24
    });
    expect(w.padTop + (w.end - w.start) * 24 + w.padBottom).toBe(240_000);
  });

  it('stops at the last row', () => {
    expect(gridWindow(24 * 9_995, 240, 10_000, 24, 10)).toEqual({
      start: 9_985,
      end: 10_000,
      padTop: 9_985 * 24,
      padBottom: 0
    });
  });

  it('renders every row of a short result', () => {
    expect(gridWindow(0, 360, 3)).toEqual({
      start: 0,
      end: 3,
      padTop: 0,
      padBottom: 0
    });
  });

  it('copes with an empty result, negative scroll and no viewport yet', () => {
    expect(gridWindow(-50, 0, 0)).toEqual({
      start: 0,
      end: 0,
      padTop: 0,
      padBottom: 0
    });
    expect(gridWindow(0, 0, 1_000).end).toBe(10);
  });
});
