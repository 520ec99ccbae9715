package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Verdict;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** {@code drop}: {@code hubble_drop_total{reason,protocol}}, each dropped flow by its DropReason's name. */
final class DropMetric extends FlowMetric {
  private final Series<CounterDataPoint> drops;

  DropMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    drops = counter("hubble_drop_total", "Number of drops", false,
        context.names("reason", "protocol"));
  }

  @Override
  public void onFlow(Flow flow) {
    if (flow.getVerdict() != Verdict.DROPPED) {
      return;
    }
    String reason = FlowLabels.name(flow.getDropReasonDesc(), flow.getDropReasonDescValue());
    drops.get(context.values(flow, reason, FlowLabels.protocol(flow, FlowLabels.eventType(flow)))).inc();
  }
}
