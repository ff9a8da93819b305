/**
 * The compare view's pure parts: which rows can be charted, how a value reads
 * as text, and where each version's point sits in the chart (unit-tested).
 */
import type { CompareRow } from './types';

/** Sections whose numeric rows can be charted across versions. */
const CHARTED_SECTIONS = ['metrics', 'hparams'];
export const CHART_WIDTH = 280;
export const CHART_HEIGHT = 150;
export const CHART_PAD = { left: 44, right: 12, top: 12, bottom: 24 };

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Metric and hparam rows with a number in at least one version. */
export function chartableRows(rows: CompareRow[]): CompareRow[] {
  return rows.filter(row => CHARTED_SECTIONS.includes(row.section) && row.values.some(isNumber));
}

/** One cell as text: numbers to 4 significant digits, lists joined, objects as JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  if (Array.isArray(value)) {
    return value.map(formatValue).join(', ');
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

export interface IChartPoint {
  label: string;
  value: number;
  x: number;
  y: number;
}

/**
 * Where each version's value sits in a `width` × `height` chart: versions
 * evenly spaced in column order, values scaled between their minimum and
 * maximum; a version without a number has no point (a gap, not a zero).
 */
export function chartPoints(
  versions: number[],
  values: unknown[],
  width = CHART_WIDTH,
  height = CHART_HEIGHT
): IChartPoint[] {
  const numbers = values.filter(isNumber);
  if (numbers.length === 0) {
    return [];
  }
  const low = Math.min(...numbers);
  const high = Math.max(...numbers);
  const span = high - low || 1;
  const innerWidth = width - CHART_PAD.left - CHART_PAD.right;
  const innerHeight = height - CHART_PAD.top - CHART_PAD.bottom;
  const step = versions.length > 1 ? innerWidth / (versions.length - 1) : 0;
  const points: IChartPoint[] = [];
  versions.forEach((version, index) => {
    const value = values[index];
    if (isNumber(value)) {
      const x = CHART_PAD.left + (versions.length > 1 ? index * step : innerWidth / 2);
      const y = CHART_PAD.top + innerHeight - ((value - low) / span) * innerHeight;
      points.push({ label: `v${version}`, value, x, y });
    }
  });
  return points;
}
