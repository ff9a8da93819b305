/**
 * The compare view of the panel: versions of one model side by side (one
 * column a version, one row a metric, hparam, file fact, alias, metadata key
 * or lineage field, as `GET models/{name}/compare` answers), an "only
 * differences" toggle, and a small SVG chart of one metric across the versions.
 * Names and values are rendered as React text, never as HTML, so a metric
 * named `<script>` is shown as those characters.
 */
import { ToolbarButtonComponent, caretLeftIcon } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import {
  CHART_HEIGHT,
  CHART_PAD as PAD,
  CHART_WIDTH,
  chartPoints,
  chartableRows,
  formatValue
} from './chart';
import type { IPanelContext } from './context';
import type { DescribeComparison } from './types';

/** A line chart of one row across the compared versions, drawn as SVG. */
export function MetricChart(props: {
  title: string;
  versions: number[];
  values: unknown[];
}): JSX.Element {
  const points = chartPoints(props.versions, props.values);
  const numbers = points.map(p => p.value);
  const bottom = CHART_HEIGHT - PAD.bottom;
  return (
    <svg
      className="jp-RegistryPanel-chart"
      role="img"
      aria-label={`Chart of ${props.title}`}
      width={CHART_WIDTH}
      viewBox={`0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`}
    >
      <line
        className="jp-RegistryPanel-chartAxis"
        x1={PAD.left}
        y1={PAD.top}
        x2={PAD.left}
        y2={bottom}
      />
      <line
        className="jp-RegistryPanel-chartAxis"
        x1={PAD.left}
        y1={bottom}
        x2={CHART_WIDTH - PAD.right}
        y2={bottom}
      />
      {numbers.length > 0 && (
        <>
          <text
            className="jp-RegistryPanel-chartTick"
            x={PAD.left - 4}
            y={PAD.top + 4}
            textAnchor="end"
          >
            {formatValue(Math.max(...numbers))}
          </text>
          <text className="jp-RegistryPanel-chartTick" x={PAD.left - 4} y={bottom} textAnchor="end">
            {formatValue(Math.min(...numbers))}
          </text>
        </>
      )}
      <polyline
        className="jp-RegistryPanel-chartLine"
        points={points.map(p => `${p.x},${p.y}`).join(' ')}
      />
      {points.map(p => (
        <g key={p.label} className="jp-RegistryPanel-chartPoint" data-version={p.label}>
          <circle cx={p.x} cy={p.y} r={3.5}>
            <title>{`${p.label}: ${formatValue(p.value)}`}</title>
          </circle>
          <text
            className="jp-RegistryPanel-chartTick"
            x={p.x}
            y={CHART_HEIGHT - 8}
            textAnchor="middle"
          >
            {p.label}
          </text>
        </g>
      ))}
    </svg>
  );
}

/** The compared versions' table, toggle and chart, with a way back to the model. */
export function CompareView(props: {
  ctx: IPanelContext;
  name: string;
  versions: number[];
  tick: number;
  onClose: () => void;
}): JSX.Element {
  const { ctx, name, versions } = props;
  const [comparison, setComparison] = useState<DescribeComparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [onlyDifferences, setOnlyDifferences] = useState(false);
  const [metric, setMetric] = useState<string | null>(null);
  const wanted = versions.join(',');

  useEffect(() => {
    let live = true;
    ctx.client.compareVersions(name, versions).then(
      answer => {
        if (live) {
          setComparison(answer);
          setError(null);
        }
      },
      reason => {
        if (live) {
          setError(ctx.report(reason, `Could not compare versions of ${name}`));
        }
      }
    );
    return () => {
      live = false;
    };
    // `versions` is compared by value (`wanted`): a new array of the same numbers is no change.
  }, [ctx, name, wanted, props.tick]);

  const rows = comparison?.rows ?? [];
  const shown = onlyDifferences ? rows.filter(row => row.differs) : rows;
  const charted = chartableRows(rows);
  const chartRow = charted.find(row => row.key === metric) ?? charted[0];
  const columns = comparison?.versions ?? [];

  return (
    <div className="jp-RegistryPanel-compare" aria-label="Compare versions" role="region">
      <div className="jp-RegistryPanel-compareHeader">
        <ToolbarButtonComponent
          icon={caretLeftIcon}
          tooltip="Back to the model"
          label="Versions"
          onClick={props.onClose}
        />
        <h3 className="jp-RegistryPanel-compareTitle">
          Compare {columns.map(v => `v${v}`).join(', ')}
        </h3>
      </div>
      {error && (
        <p className="jp-RegistryPanel-errorBox" role="alert">
          {error}
        </p>
      )}
      <div className="jp-RegistryPanel-compareControls">
        <label>
          <input
            type="checkbox"
            aria-label="Only differences"
            checked={onlyDifferences}
            onChange={event => setOnlyDifferences(event.target.checked)}
          />{' '}
          Only differences
        </label>
        {charted.length > 0 && (
          <select
            className="jp-mod-styled"
            aria-label="Chart metric"
            value={chartRow?.key}
            onChange={event => setMetric(event.target.value)}
          >
            {charted.map(row => (
              <option key={row.key} value={row.key}>
                {row.key}
              </option>
            ))}
          </select>
        )}
      </div>
      {chartRow && <MetricChart title={chartRow.key} versions={columns} values={chartRow.values} />}
      {comparison && shown.length === 0 && (
        <p className="jp-RegistryPanel-empty">
          {rows.length === 0 ? 'No versions to compare.' : 'No differences between these versions.'}
        </p>
      )}
      {shown.length > 0 && (
        <div className="jp-RegistryPanel-tableWrap">
          <table
            className="jp-RegistryPanel-table jp-RegistryPanel-compareTable"
            aria-label="Comparison"
          >
            <thead>
              <tr>
                <th>Field</th>
                {columns.map(v => (
                  <th key={v}>v{v}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map(row => (
                <tr
                  key={row.key}
                  data-key={row.key}
                  className={row.differs ? 'jp-RegistryPanel-differs' : undefined}
                >
                  <th scope="row" title={row.key}>
                    {row.key}
                  </th>
                  {row.values.map((value, index) => (
                    <td key={columns[index]}>{formatValue(value)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
