/**
 * Small hand-written SVG charts for the bench results: no browser, no dependency, the same
 * bytes for the same figures (so a re-run shows up in a diff only where a figure moved).
 */

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { top: 64, right: 24, bottom: 96, left: 64 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (value: number): string => String(Math.round(value * 10) / 10);

const text = (x: number, y: number, content: string, attributes = ''): string =>
  `<text x="${num(x)}" y="${num(y)}" ${attributes}>${escape(content)}</text>`;

/** A "nice" axis maximum and tick step (1, 2 or 5 times a power of ten) covering `max`. */
const niceScale = (max: number, ticks = 5): { readonly top: number; readonly step: number } => {
  const raw = (max > 0 ? max : 1) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((factor) => factor * power >= raw) ?? 10) * power;
  return { top: Math.ceil(max / step) * step || step, step };
};

const frame = (title: string, subtitle: string, body: string[]): string =>
  [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT} font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(MARGIN.left, 24, title, 'font-size="16" font-weight="600" fill="#222"'),
    text(MARGIN.left, 44, subtitle, 'fill="#555"'),
    ...body,
    '</svg>',
    '',
  ].join('\n');

const yAxis = (top: number, step: number, plotHeight: number, format: (value: number) => string, label: string): string[] => {
  const lines: string[] = [];
  for (let value = 0; value <= top + step / 2; value += step) {
    const y = MARGIN.top + plotHeight - (value / top) * plotHeight;
    lines.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${num(y)}" y2="${num(y)}" stroke="#e5e5e5"/>`);
    lines.push(text(MARGIN.left - 8, y + 4, format(value), 'text-anchor="end" fill="#444"'));
  }
  lines.push(text(16, MARGIN.top + plotHeight / 2, label, `transform="rotate(-90 16 ${num(MARGIN.top + plotHeight / 2)})" text-anchor="middle" fill="#444"`));
  return lines;
};

const legend = (names: readonly string[], y: number): string[] =>
  names.flatMap((name, index) => {
    const x = MARGIN.left + index * Math.min(190, (WIDTH - MARGIN.left - MARGIN.right) / names.length);
    return [
      `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[index % COLORS.length]}"/>`,
      text(x + 18, y, name, 'fill="#333"'),
    ];
  });

export interface BarGroup {
  readonly label: string;
  /** One value per series, in `series` order. */
  readonly values: readonly number[];
  /** A dashed ceiling drawn across the group, e.g. a target ratio. */
  readonly target?: number;
}

/** Grouped bars with a reference line at 1 (the baseline) and each group's target, if any. */
export const barChart = (options: {
  readonly title: string;
  readonly subtitle: string;
  readonly series: readonly string[];
  readonly groups: readonly BarGroup[];
  readonly yLabel: string;
}): string => {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1.2, ...options.groups.flatMap((group) => [...group.values, group.target ?? 0]));
  const { top, step } = niceScale(max * 1.05);
  const y = (value: number): number => MARGIN.top + plotHeight - (Math.min(value, top) / top) * plotHeight;
  const slot = plotWidth / options.groups.length;
  const barWidth = Math.min(28, (slot * 0.7) / options.series.length);
  const body = yAxis(top, step, plotHeight, (value) => `${value.toFixed(Math.max(0, -Math.floor(Math.log10(step))))}x`, options.yLabel);
  options.groups.forEach((group, g) => {
    const start = MARGIN.left + g * slot + (slot - barWidth * options.series.length) / 2;
    group.values.forEach((value, s) => {
      const x = start + s * barWidth;
      body.push(
        `<rect x="${num(x)}" y="${num(y(value))}" width="${num(barWidth - 2)}" height="${num(MARGIN.top + plotHeight - y(value))}" fill="${COLORS[s % COLORS.length]}"><title>${escape(`${group.label} ${options.series[s] ?? ''}: ${value.toFixed(2)}x`)}</title></rect>`,
        text(x + (barWidth - 2) / 2, y(value) - 4, value.toFixed(2), 'text-anchor="middle" font-size="10" fill="#333"'),
      );
    });
    if (group.target !== undefined) {
      const ty = y(group.target);
      body.push(`<line x1="${num(start - 6)}" x2="${num(start + barWidth * options.series.length + 4)}" y1="${num(ty)}" y2="${num(ty)}" stroke="#d62728" stroke-dasharray="5 3" stroke-width="1.5"/>`);
      body.push(text(start + barWidth * options.series.length + 6, ty + 4, `${group.target.toFixed(2)}`, 'font-size="10" fill="#d62728"'));
    }
    group.label.split('\n').forEach((line, i) => {
      body.push(text(MARGIN.left + g * slot + slot / 2, MARGIN.top + plotHeight + 16 + i * 14, line, 'text-anchor="middle" fill="#333"'));
    });
  });
  body.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${num(y(1))}" y2="${num(y(1))}" stroke="#222" stroke-width="1"/>`);
  const targets = options.groups.some((group) => group.target !== undefined);
  body.push(...legend([...options.series, ...(targets ? ['target (dashed)'] : [])], HEIGHT - 16));
  return frame(options.title, options.subtitle, body);
};

export interface CdfSeries {
  readonly name: string;
  /** Raw samples in milliseconds, any order. */
  readonly values: readonly number[];
}

/**
 * Cumulative distribution of each series: x the latency on a log scale (lags span from a few
 * milliseconds to seconds under load), y the share of samples at or below it.
 */
export const cdfChart = (options: { readonly title: string; readonly subtitle: string; readonly series: readonly CdfSeries[]; readonly xLabel: string }): string => {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = options.series.flatMap((series) => series.values);
  const low = Math.floor(Math.log10(Math.max(1, Math.min(...all))));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(10, ...all))));
  const x = (value: number): number => MARGIN.left + ((Math.log10(Math.max(10 ** low, value)) - low) / (high - low)) * plotWidth;
  const y = (share: number): number => MARGIN.top + plotHeight - share * plotHeight;
  const body = yAxis(100, 20, plotHeight, (value) => `${value}%`, 'share of orders at or below');
  for (let power = low; power <= high; power++) {
    for (const factor of power === high ? [1] : [1, 2, 5]) {
      const value = factor * 10 ** power;
      body.push(`<line x1="${num(x(value))}" x2="${num(x(value))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="${factor === 1 ? '#e0e0e0' : '#f4f4f4'}"/>`);
      body.push(text(x(value), MARGIN.top + plotHeight + 16, String(value), 'text-anchor="middle" fill="#444"'));
    }
  }
  body.push(text(MARGIN.left + plotWidth / 2, MARGIN.top + plotHeight + 36, options.xLabel, 'text-anchor="middle" fill="#444"'));
  for (const [mark, share] of [['p50', 0.5], ['p99', 0.99]] as const) {
    body.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${num(y(share))}" y2="${num(y(share))}" stroke="#999" stroke-dasharray="2 3"/>`);
    body.push(text(WIDTH - MARGIN.right - 4, y(share) - 4, mark, 'text-anchor="end" font-size="10" fill="#777"'));
  }
  options.series.forEach((series, index) => {
    const sorted = [...series.values].sort((a, b) => a - b);
    const points = sorted.map((value, i) => `${num(x(value))},${num(y((i + 1) / sorted.length))}`);
    if (sorted.length > 0) points.unshift(`${num(x(sorted[0] ?? 0))},${num(y(0))}`);
    body.push(`<polyline fill="none" stroke="${COLORS[index % COLORS.length]}" stroke-width="2" points="${points.join(' ')}"/>`);
  });
  body.push(...legend(options.series.map((series) => series.name), HEIGHT - 16));
  return frame(options.title, options.subtitle, body);
};
