import type { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';

/** What each `publishStoredMetrics()` call would have sent as EMF, instead of sending it. */
export const captureMetrics = (metrics: Metrics): Record<string, unknown>[] => {
  const emitted: Record<string, unknown>[] = [];
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    emitted.push(metrics.serializeMetrics() as Record<string, unknown>);
    metrics.clearMetrics();
    return metrics;
  });
  return emitted;
};
