package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.TCPFlags;
import io.hexgate.contract.hubble.flow.Verdict;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** {@code tcp}: {@code hubble_tcp_flags_total{flag,family}}: SYN, SYN-ACK, FIN, RST of forwarded TCP flows. */
final class TcpFlagsMetric extends FlowMetric {
  private final Series<CounterDataPoint> flags;

  TcpFlagsMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    flags = counter("hubble_tcp_flags_total", "TCP flag occurrences", false,
        context.names("flag", "family"));
  }

  @Override
  public void onFlow(Flow flow) {
    if ((flow.getVerdict() != Verdict.FORWARDED && flow.getVerdict() != Verdict.REDIRECTED)
        || !flow.hasIP() || !flow.getL4().hasTCP() || !flow.getL4().getTCP().hasFlags()) {
      return;
    }
    TCPFlags f = flow.getL4().getTCP().getFlags();
    String family = FlowLabels.name(flow.getIP().getIpVersion(), flow.getIP().getIpVersionValue());
    if (f.getFIN()) {
      count(flow, "FIN", family);
    }
    if (f.getSYN()) {
      count(flow, f.getACK() ? "SYN-ACK" : "SYN", family);
    }
    if (f.getRST()) {
      count(flow, "RST", family);
    }
  }

  private void count(Flow flow, String flag, String family) {
    flags.get(context.values(flow, flag, family)).inc();
  }
}
