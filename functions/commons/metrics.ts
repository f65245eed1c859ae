import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch metrics as EMF log lines; the namespace comes from POWERTOOLS_METRICS_NAMESPACE. */
const metrics = new Metrics();

/**
 * Counts one occurrence and publishes it at once: rare events only, so an invocation that counts
 * nothing writes no metrics line (Powertools' middleware would warn on every such invocation).
 */
export const countMetric = (name: string, count = 1): void => {
  metrics.addMetric(name, MetricUnit.Count, count);
  metrics.publishStoredMetrics();
};
