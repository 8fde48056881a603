/**
 * Counters and histograms for the request path: an update is a map look-up and an addition. They
 * plug into a prom-client Registry (which formats the exposition) through the metric interface it
 * reads: `name`, `help`, `type`, `get()`. prom-client's own Counter and Histogram hash their label
 * set on every update, which measured about 2 µs per channel request; these cost tens of nanoseconds.
 */

type Labels = Record<string, string>;

interface MetricValue {
  readonly value: number;
  readonly labels: Labels;
  readonly metricName?: string;
}

/** What prom-client's Registry asks of a metric. */
export interface RegistryMetric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  readonly aggregator: "sum";
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] };
}

function labelsOf(names: readonly string[], values: readonly string[]): Labels {
  const labels: Labels = {};
  names.forEach((name, index) => {
    labels[name] = values[index] ?? "";
  });
  return labels;
}

/** A counter with labels; `series(...values)` is cached, `inc` on it is one addition. */
export class CounterFamily implements RegistryMetric {
  readonly type = "counter";
  readonly aggregator = "sum";
  readonly #series = new Map<string, { readonly labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}

  /** The series of these label values (up to three; created at zero the first time). */
  series(a = "", b = "", c = ""): { readonly labels: Labels; value: number } {
    const key = `${a}\u0000${b}\u0000${c}`;
    let found = this.#series.get(key);
    if (found === undefined) {
      found = { labels: labelsOf(this.labelNames, [a, b, c]), value: 0 };
      this.#series.set(key, found);
    }
    return found;
  }

  inc(a?: string, b?: string, c?: string): void {
    this.series(a, b, c).value++;
  }

  get() {
    const values = [...this.#series.values()].map(({ labels, value }) => ({ labels, value }));
    if (this.labelNames.length === 0 && values.length === 0) values.push({ labels: {}, value: 0 });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

interface HistogramSeries {
  readonly labels: Labels;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram with labels and fixed bucket bounds (upper bounds, ascending; +Inf is implied). */
export class HistogramFamily implements RegistryMetric {
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {}

  /** The series of these label values (up to three; created empty the first time). */
  series(a = "", b = "", c = ""): HistogramSeries {
    const key = `${a}\u0000${b}\u0000${c}`;
    let found = this.#series.get(key);
    if (found === undefined) {
      found = { labels: labelsOf(this.labelNames, [a, b, c]), counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.#series.set(key, found);
    }
    return found;
  }

  /** Records one observation in a series. */
  observe(series: HistogramSeries, value: number): void {
    const { buckets } = this;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]!) {
        series.counts[i]!++;
        break;
      }
    }
    series.sum += value;
    series.count++;
  }

  get() {
    const values: MetricValue[] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, index) => {
        cumulative += series.counts[index]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: String(bound), ...series.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf", ...series.labels }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
