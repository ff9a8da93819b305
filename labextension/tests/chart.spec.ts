import {
  CHART_HEIGHT,
  CHART_PAD,
  CHART_WIDTH,
  chartPoints,
  chartableRows,
  formatValue
} from '../src/chart';
import type { CompareRow } from '../src/types';

function row(key: string, section: string, values: unknown[]): CompareRow {
  return { key, section, name: key, values, differs: true };
}

describe('chartableRows', () => {
  it('keeps metric and hparam rows holding a number', () => {
    const rows = [
      row('metrics.acc', 'metrics', [0.9, null]),
      row('metrics.tag', 'metrics', ['a', 'b']),
      row('hparams.lr', 'hparams', [null, 0.01]),
      row('size', 'files', [10, 12]),
      row('metrics.flag', 'metrics', [true, false])
    ];
    expect(chartableRows(rows).map(r => r.key)).toEqual(['metrics.acc', 'hparams.lr']);
  });
});

describe('formatValue', () => {
  it('reads as text', () => {
    expect(formatValue(null)).toBe('');
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(3)).toBe('3');
    expect(formatValue(['a', 'b'])).toBe('a, b');
    expect(formatValue({ k: 1 })).toBe('{"k":1}');
    expect(formatValue('<script>')).toBe('<script>');
  });
});

describe('chartPoints', () => {
  it('spaces versions evenly, scales values, leaves gaps', () => {
    const points = chartPoints([1, 2, 3], [0.5, null, 1.5], 200, 100);
    expect(points.map(p => p.label)).toEqual(['v1', 'v3']);
    const [low, high] = points;
    expect(low.x).toBe(CHART_PAD.left);
    expect(high.x).toBe(200 - CHART_PAD.right);
    expect(low.y).toBe(100 - CHART_PAD.bottom);
    expect(high.y).toBe(CHART_PAD.top);
  });

  it('draws one version in the middle, and nothing without numbers', () => {
    const [only] = chartPoints([4], [2]);
    const inner = CHART_WIDTH - CHART_PAD.left - CHART_PAD.right;
    expect(only.x).toBe(CHART_PAD.left + inner / 2);
    expect(only.y).toBe(CHART_HEIGHT - CHART_PAD.bottom);
    expect(chartPoints([1, 2], ['x', null])).toEqual([]);
  });
});
