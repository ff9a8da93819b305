/**
 * A version's lineage in the model detail: its ancestors and descendants as a
 * small layered graph (SVG), each node a link to that model and version in the
 * panel. The layers come from the server (`GET …/versions/{ref}/lineage`), so
 * the panel and the notebook widget draw the same picture.
 */
import React, { useEffect, useRef, useState } from 'react';

import type { IPanelContext } from './context';
import type { DescribeLineage, LineageNode } from './types';

const CELL_WIDTH = 170;
const CELL_HEIGHT = 78;
const NODE_WIDTH = 150;
const NODE_HEIGHT = 36;

/** Each node's row (its layer) and column (its place in that layer), in the server's order. */
export function gridOf(lineage: DescribeLineage): Map<string, [number, number]> {
  const place = new Map<string, [number, number]>();
  const used = new Map<number, number>();
  for (const node of lineage.nodes) {
    const row = node.layer ?? 0;
    const column = used.get(row) ?? 0;
    used.set(row, column + 1);
    place.set(node.id, [row, column]);
  }
  return place;
}

function centre([row, column]: [number, number]): [number, number] {
  return [column * CELL_WIDTH + CELL_WIDTH / 2, row * CELL_HEIGHT + CELL_HEIGHT / 2];
}

function Origin(props: { node: LineageNode }): JSX.Element {
  const { node } = props;
  const git = node.git as { commit?: string; dirty?: boolean } | null | undefined;
  const facts: [string, string][] = [];
  if (node.notebook ?? node.script) {
    facts.push(['made in', String(node.notebook ?? node.script)]);
  }
  if (node.execution_count !== null && node.execution_count !== undefined) {
    facts.push(['cell', `[${node.execution_count}]`]);
  }
  if (git?.commit) {
    facts.push(['git', `${git.commit.slice(0, 10)}${git.dirty ? ' (uncommitted changes)' : ''}`]);
  }
  if (node.run) {
    facts.push(['run', node.run]);
  }
  const packages = Object.entries(node.packages ?? {});
  if (packages.length) {
    facts.push(['packages', packages.map(([name, version]) => `${name} ${version}`).join(', ')]);
  }
  if (!facts.length) {
    return <></>;
  }
  return (
    <dl className="jp-RegistryPanel-lineageOrigin">
      {facts.map(([key, value]) => (
        <React.Fragment key={key}>
          <dt>{key}</dt>
          <dd title={value}>{value}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

export function LineageGraph(props: {
  lineage: DescribeLineage;
  onOpen: (model: string, version: number) => void;
}): JSX.Element {
  const { lineage } = props;
  const place = gridOf(lineage);
  const rows = 1 + Math.max(...Array.from(place.values(), ([row]) => row));
  const columns = 1 + Math.max(...Array.from(place.values(), ([, column]) => column));
  return (
    <svg
      className="jp-RegistryPanel-lineageGraph"
      width={columns * CELL_WIDTH}
      height={rows * CELL_HEIGHT}
      role="group"
      aria-label={`Lineage of ${lineage.root}`}
    >
      <defs>
        <marker
          id="jp-RegistryPanel-arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" />
        </marker>
      </defs>
      {lineage.edges.map(edge => {
        const [x1, y1] = centre(place.get(edge.base) ?? [0, 0]);
        const [x2, y2] = centre(place.get(edge.derived) ?? [0, 0]);
        return (
          <g key={`${edge.base}>${edge.derived}`} className="jp-RegistryPanel-lineageEdge">
            <line
              x1={x1}
              y1={y1 + NODE_HEIGHT / 2}
              x2={x2}
              y2={y2 - NODE_HEIGHT / 2}
              markerEnd="url(#jp-RegistryPanel-arrow)"
            />
            <text x={(x1 + x2) / 2 + 4} y={(y1 + y2) / 2 + 4}>
              {edge.relation}
            </text>
          </g>
        );
      })}
      {lineage.nodes.map(node => {
        const [x, y] = centre(place.get(node.id) ?? [0, 0]);
        const root = node.id === lineage.root;
        const open = () => {
          if (!node.deleted) {
            props.onOpen(node.model_name, node.version);
          }
        };
        const label = node.deleted ? `${node.id} (deleted)` : node.id;
        const classes = ['jp-RegistryPanel-lineageNode'];
        if (root) {
          classes.push('jp-mod-root');
        }
        if (node.deleted) {
          classes.push('jp-mod-deleted');
        }
        return (
          <g
            key={node.id}
            className={classes.join(' ')}
            data-node={node.id}
            role={node.deleted ? undefined : 'button'}
            tabIndex={node.deleted ? undefined : 0}
            aria-label={node.deleted ? label : `Open ${node.id}`}
            onClick={open}
            onKeyDown={event => {
              if (event.key === 'Enter' || event.key === ' ') {
                open();
              }
            }}
          >
            <title>{[label, ...(node.aliases ?? [])].join(' · ')}</title>
            <rect
              x={x - NODE_WIDTH / 2}
              y={y - NODE_HEIGHT / 2}
              width={NODE_WIDTH}
              height={NODE_HEIGHT}
              rx={6}
            />
            <text x={x} y={y + 4} textAnchor="middle">
              {label.length > 22 ? `${label.slice(0, 21)}…` : label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** The lineage of `name` version `version`, loaded on mount and when `tick` changes. */
export function VersionLineage(props: {
  ctx: IPanelContext;
  name: string;
  version: number;
  tick: number;
  onOpen: (model: string, version: number) => void;
}): JSX.Element {
  const { ctx, name, version } = props;
  const [lineage, setLineage] = useState<DescribeLineage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  // The section opens below the versions table: bring a newly shown graph into view.
  useEffect(() => {
    box.current?.scrollIntoView({ block: 'nearest' });
  }, [lineage?.root]);
  useEffect(() => {
    let live = true;
    ctx.client
      .call('get_lineage', { path: { name, ref: String(version) }, query: { depth: 3 } })
      .then(
        found => {
          if (live) {
            setLineage(found);
            setError(null);
          }
        },
        reason => {
          if (live) {
            setError(ctx.report(reason, `Could not load the lineage of ${name}:${version}`));
          }
        }
      );
    return () => {
      live = false;
    };
  }, [ctx, name, version, props.tick]);
  if (error) {
    return (
      <p className="jp-RegistryPanel-errorBox" role="alert">
        {error}
      </p>
    );
  }
  if (!lineage) {
    return <p className="jp-RegistryPanel-empty">Loading…</p>;
  }
  const root = lineage.nodes.find(node => node.id === lineage.root);
  return (
    <div className="jp-RegistryPanel-lineage" ref={box}>
      {lineage.edges.length === 0 ? (
        <p className="jp-RegistryPanel-empty">
          {name}:{version} has no recorded base and nothing was made from it. Record one with{' '}
          <code>
            register_version(…, base=&quot;{name}:{version}&quot;)
          </code>
          .
        </p>
      ) : (
        <div className="jp-RegistryPanel-tableWrap">
          <LineageGraph lineage={lineage} onOpen={props.onOpen} />
        </div>
      )}
      {lineage.truncated && (
        <p className="jp-RegistryPanel-empty">More lies beyond: open a node at the edge.</p>
      )}
      {root && <Origin node={root} />}
    </div>
  );
}
