package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Verdict;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;

/**
 * {@code flows-to-world}: {@code hubble_flows_to_world_total{protocol,verdict}} (plus {@code port} with option
 * {@code port}) of flows to {@code reserved:world} that are not replies. Drops count only when policy denied
 * them unless {@code any-drop}; {@code syn-only} counts TCP connection attempts only.
 */
final class FlowsToWorldMetric extends FlowMetric {
  /** A dual-stack cluster's world identities carry {@code world-ipv4} / {@code world-ipv6} beside or instead. */
  private static final List<String> WORLD = List.of("reserved:world", "reserved:world-ipv4", "reserved:world-ipv6");

  private final boolean anyDrop;
  private final boolean port;
  private final boolean synOnly;
  private final Series<CounterDataPoint> flows;

  FlowsToWorldMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    anyDrop = options.flag("any-drop");
    port = options.flag("port");
    synOnly = options.flag("syn-only");
    flows = counter("hubble_flows_to_world_total", "Total number of flows to reserved:world", false,
        port ? context.names("protocol", "verdict", "port") : context.names("protocol", "verdict"));
  }

  @Override
  public void onFlow(Flow flow) {
    if (!flow.hasL4() || !toWorld(flow)) {
      return;
    }
    boolean dropped = flow.getVerdict() == Verdict.DROPPED;
    if (dropped && !anyDrop && flow.getDropReasonDesc() != DropReason.POLICY_DENIED) {
      return;
    }
    boolean reply = flow.hasIsReply() && flow.getIsReply().getValue();
    if (!dropped && reply) {
      return;
    }
    Layer4 l4 = flow.getL4();
    if (synOnly && (!l4.getTCP().getFlags().getSYN() || reply)) {
      return;
    }
    String protocol = FlowLabels.protocol(flow, FlowLabels.eventType(flow));
    String verdict = FlowLabels.verdict(flow);
    String[] values = port
        ? context.values(flow, protocol, verdict, destinationPort(l4)) : context.values(flow, protocol, verdict);
    flows.get(values).inc();
  }

  private static boolean toWorld(Flow flow) {
    for (String label : flow.getDestination().getLabelsList()) {
      if (WORLD.contains(label)) {
        return true;
      }
    }
    return false;
  }

  private static String destinationPort(Layer4 l4) {
    return switch (l4.getProtocolCase()) {
      case TCP -> Integer.toString(l4.getTCP().getDestinationPort());
      case UDP -> Integer.toString(l4.getUDP().getDestinationPort());
      case SCTP -> Integer.toString(l4.getSCTP().getDestinationPort());
      default -> "";
    };
  }
}
