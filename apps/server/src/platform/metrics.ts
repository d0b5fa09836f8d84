import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from './jobs.ts';

/** Prometheus metrics of one server process: HTTP traffic, the job queue, and the process itself. */
export function createMetrics(deps: { jobs: JobQueue; processMetrics: boolean }) {
  const registry = new Registry();
  if (deps.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'engops_' });
  const requests = new Counter({
    name: 'engops_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'engops_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'engops_jobs',
    help: 'Durable jobs by state (pending = queue depth)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const depth = await deps.jobs.depth();
        for (const [state, n] of Object.entries(depth)) this.set({ state }, n);
      } catch {
        // Before migrations (or with the database away) there is no queue to count; /metrics stays up.
      }
    },
  });
  // The series of each (method, route, status), bound once: a request then skips hashing its labels.
  // Routes are the registered patterns (or 'unmatched'), so the number of series stays bounded.
  const series = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  return {
    registry,
    observe(method: string, route: string, status: number, seconds: number) {
      const key = `${method} ${status} ${route}`;
      let bound = series.get(key);
      if (!bound) {
        bound = {
          count: requests.labels(method, route, String(status)),
          time: latency.labels(method, route),
        };
        series.set(key, bound);
      }
      bound.count.inc();
      bound.time.observe(seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
