package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Verdict;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code port-distribution}: {@code hubble_port_distribution_total{protocol,port}} of forwarded flows known
 * not to be replies (a reply's destination port is the client's ephemeral one); ICMP counts under port 0.
 */
final class PortDistributionMetric extends FlowMetric {
  private final Series<CounterDataPoint> ports;

  PortDistributionMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    ports = counter("hubble_port_distribution_total",
        "Numbers of packets distributed by destination port", false, context.names("protocol", "port"));
  }

  @Override
  public void onFlow(Flow flow) {
    if ((flow.getVerdict() != Verdict.FORWARDED && flow.getVerdict() != Verdict.REDIRECTED)
        || !flow.hasL4() || !flow.hasIsReply() || flow.getIsReply().getValue()) {
      return;
    }
    Layer4 l4 = flow.getL4();
    String port = switch (l4.getProtocolCase()) {
      case TCP -> Integer.toString(l4.getTCP().getDestinationPort());
      case UDP -> Integer.toString(l4.getUDP().getDestinationPort());
      case SCTP -> Integer.toString(l4.getSCTP().getDestinationPort());
      case ICMPV4, ICMPV6 -> "0";
      default -> null;
    };
    if (port != null) {
      ports.get(context.values(flow, FlowLabels.l4Protocol(l4, ""), port)).inc();
    }
  }
}
