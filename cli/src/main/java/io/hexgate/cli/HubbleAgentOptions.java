package io.hexgate.cli;

import io.hexgate.datapath.agent.CertificateRotation;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.export.ExportOptions;
import io.hexgate.observer.metrics.HubbleMetrics;
import io.hexgate.observer.server.HubbleServices;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The agent's Hubble options, under the names a Cilium agent takes them. */
final class HubbleAgentOptions {
  @Option(names = "--hubble-listen-port", paramLabel = "PORT", defaultValue = "" + HubbleServices.AGENT_PORT,
      description = "Port of the Hubble Observer and Peer services (mutual TLS with the node's certificate; only the relay's certificate is let in); 0 turns them off (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--hubble-event-buffer-capacity", paramLabel = "N", defaultValue = "" + FlowRing.DEFAULT_CAPACITY,
      description = "Flows kept for clients, one less than a power of two (default: ${DEFAULT-VALUE}).")
  int capacity;

  @Option(names = "--hubble-metrics", paramLabel = "METRICS", defaultValue = "",
      description = "Hubble metrics to serve, as Cilium's --hubble-metrics: e.g. \"drop tcp flow port-distribution icmp httpV2:exemplars=true;labelsContext=source_namespace,destination_namespace\"; empty for none.")
  String metrics;

  @Option(names = "--hubble-metrics-port", paramLabel = "PORT", defaultValue = "" + HubbleServices.METRICS_PORT,
      description = "Port of Hubble's /metrics (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--" + ExportOptions.FILE_PATH, paramLabel = "FILE", description = "Write every flow to FILE as JSON lines (or stdout).")
  String exportFile;

  @Option(names = "--" + ExportOptions.FILE_MAX_SIZE_MB, paramLabel = "MB", description = "Rotate the export file at this size (default: 10).")
  String exportMaxSizeMb;

  @Option(names = "--" + ExportOptions.FILE_MAX_BACKUPS, paramLabel = "N", description = "Rotated export files kept (default: 5).")
  String exportMaxBackups;

  @Option(names = "--" + ExportOptions.FILE_COMPRESS, paramLabel = "BOOL", description = "Gzip rotated export files (default: false).")
  String exportCompress;

  @Option(names = "--" + ExportOptions.ALLOWLIST, paramLabel = "JSON", description = "Export only flows matching one of these FlowFilters, e.g. {\"verdict\":[\"DROPPED\"]}.")
  String exportAllowlist;

  @Option(names = "--" + ExportOptions.DENYLIST, paramLabel = "JSON", description = "Do not export flows matching one of these FlowFilters.")
  String exportDenylist;

  @Option(names = "--" + ExportOptions.FIELD_MASK, paramLabel = "PATHS", description = "Export only these fields of each flow, e.g. \"time source.pod_name destination.pod_name verdict\".")
  String exportFieldMask;

  /** @throws IllegalArgumentException naming the option that is wrong */
  ObserveOptions toOptions(CertificateRotation tls) {
    if (!metrics.isBlank()) {
      HubbleMetrics.parse(metrics); // refuse a bad list now, not when the agent has started
    }
    ObserveOptions options = new ObserveOptions(port, capacity, tls, metrics, metricsPort, null);
    Map<String, String> export = new LinkedHashMap<>();
    put(export, ExportOptions.FILE_PATH, exportFile);
    put(export, ExportOptions.FILE_MAX_SIZE_MB, exportMaxSizeMb);
    put(export, ExportOptions.FILE_MAX_BACKUPS, exportMaxBackups);
    put(export, ExportOptions.FILE_COMPRESS, exportCompress);
    put(export, ExportOptions.ALLOWLIST, exportAllowlist);
    put(export, ExportOptions.DENYLIST, exportDenylist);
    put(export, ExportOptions.FIELD_MASK, exportFieldMask);
    return export.isEmpty() ? options : options.withExport(ExportOptions.parse(export));
  }

  private static void put(Map<String, String> options, String name, String value) {
    if (value != null) {
      options.put(name, value);
    }
  }
}
