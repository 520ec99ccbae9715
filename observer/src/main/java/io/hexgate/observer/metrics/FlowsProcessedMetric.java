package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** {@code flow}: {@code hubble_flows_processed_total{protocol,type,subtype,verdict}}, every flow. */
final class FlowsProcessedMetric extends FlowMetric {
  private final Series<CounterDataPoint> flows;

  FlowsProcessedMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    flows = counter("hubble_flows_processed_total", "Total number of flows processed", false,
        context.names("protocol", "type", "subtype", "verdict"));
  }

  @Override
  public void onFlow(Flow flow) {
    int type = FlowLabels.eventType(flow);
    flows.get(context.values(flow, FlowLabels.protocol(flow, type), FlowLabels.typeName(type),
        FlowLabels.subtype(flow, type), FlowLabels.verdict(flow))).inc();
  }
}
