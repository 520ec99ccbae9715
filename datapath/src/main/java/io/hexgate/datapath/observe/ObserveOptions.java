package io.hexgate.datapath.observe;

import io.hexgate.datapath.agent.CertificateRotation;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.export.ExportOptions;
import io.hexgate.observer.server.HubbleServices;

/**
 * How the agent serves its flows, as Hubble's agent does: the Observer on {@code port} (4244; 0 serves
 * none), over mutual TLS with the node's certificate when {@code tls} is set, the last {@code capacity}
 * flows kept; Hubble's metrics ({@code metrics} in Hubble's {@code --hubble-metrics} syntax, empty for
 * none) on {@code metricsPort} (9965); and, when {@code export} is set, every flow written to a file.
 *
 * @param tls the node's certificate, which the relay verifies, and the CA its client certificate must
 *     chain to; null serves plaintext (the lab's in-process agents, which hold no certificate)
 */
public record ObserveOptions(int port, int capacity, CertificateRotation tls, String metrics, int metricsPort, ExportOptions export) {
  public static final ObserveOptions NONE = new ObserveOptions(0, FlowRing.DEFAULT_CAPACITY, null, "", 0, null);

  public ObserveOptions {
    metrics = metrics == null ? "" : metrics.strip();
  }

  /** Hubble's defaults: 4244, 4095 flows, no metrics, no export. */
  public static ObserveOptions defaults(CertificateRotation tls) {
    return new ObserveOptions(HubbleServices.AGENT_PORT, FlowRing.DEFAULT_CAPACITY, tls, "", HubbleServices.METRICS_PORT, null);
  }

  public ObserveOptions withMetrics(String enabled) {
    return new ObserveOptions(port, capacity, tls, enabled, metricsPort, export);
  }

  public ObserveOptions withExport(ExportOptions options) {
    return new ObserveOptions(port, capacity, tls, metrics, metricsPort, options);
  }
}
