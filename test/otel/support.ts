import { type Attributes, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll } from 'vitest';

/** A metric reader the test collects from when it wants. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** The real OpenTelemetry SDK of a test file: providers, an in-memory span exporter, a reader. */
export interface TestTelemetry {
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: BasicTracerProvider;
  readonly spans: InMemorySpanExporter;
  /** Every metric collected now, by name. */
  collect(): Promise<Map<string, MetricData>>;
}

/** Sets up the SDK (and an AsyncLocalStorage context manager) for the file's tests. */
export function useTelemetry(): TestTelemetry {
  const reader = new TestReader();
  const spans = new InMemorySpanExporter();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(async () => {
    context.disable();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  });
  return {
    meterProvider,
    tracerProvider,
    spans,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      const byName = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
      return byName;
    },
  };
}

/** The data points of a metric whose attributes include `match`. */
export function pointsOf<T>(
  metric: MetricData | undefined,
  match: Attributes = {},
): DataPoint<T>[] {
  const points = (metric?.dataPoints ?? []) as DataPoint<T>[];
  return points.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

/** The total count of a histogram's points matching `match`. */
export function histogramCount(metric: MetricData | undefined, match: Attributes = {}): number {
  return pointsOf<Histogram>(metric, match).reduce((n, p) => n + p.value.count, 0);
}

/** The sum of a counter's points matching `match`. */
export function counterSum(metric: MetricData | undefined, match: Attributes = {}): number {
  return pointsOf<number>(metric, match).reduce((n, p) => n + p.value, 0);
}

/** An OpenTelemetry time (`[seconds, nanoseconds]`) in milliseconds. */
export function hrTimeToMilliseconds([seconds, nanos]: readonly [number, number]): number {
  return seconds * 1000 + nanos / 1e6;
}
