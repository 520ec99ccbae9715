package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;

/**
 * {@code policy}: {@code hubble_policy_verdicts_total{direction,match,action}} for policy-verdict events (the
 * match type lower-cased) and L7 events ({@code l7/http}, {@code l7/dns}, {@code l7/kafka}).
 */
final class PolicyVerdictMetric extends FlowMetric {
  /** The host may reach every local endpoint: its verdicts say nothing about policy. */
  private static final int HOST_IDENTITY = 1;

  private final Series<CounterDataPoint> verdicts;

  PolicyVerdictMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    verdicts = counter("hubble_policy_verdicts_total",
        "Total number of Cilium network policy verdicts", false, context.names("direction", "match", "action"));
  }

  @Override
  public void onFlow(Flow flow) {
    String match;
    switch (FlowLabels.eventType(flow)) {
      case FlowLabels.POLICY_VERDICT -> {
        if (flow.getSource().getIdentity() == HOST_IDENTITY) {
          return;
        }
        match = FlowLabels.matchType(flow.getPolicyMatchType());
      }
      case FlowLabels.ACCESS_LOG -> match = switch (flow.getL7().getRecordCase()) {
        case DNS -> "l7/dns";
        case HTTP -> "l7/http";
        case KAFKA -> "l7/kafka";
        default -> "l7/";
      };
      default -> {
        return;
      }
    }
    String direction = FlowLabels.name(flow.getTrafficDirection(), flow.getTrafficDirectionValue())
        .toLowerCase(Locale.ROOT);
    String action = FlowLabels.verdict(flow).toLowerCase(Locale.ROOT);
    verdicts.get(context.values(flow, direction, match, action)).inc();
  }
}
