package io.hexgate.operator.install;

import io.hexgate.observer.export.ExportOptions;
import io.hexgate.observer.metrics.HubbleMetrics;
import io.hexgate.observer.server.HubbleServices;
import io.hexgate.operator.install.api.HubbleExportSpec;
import io.hexgate.operator.install.api.HubbleSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The agents' Hubble options from a HexgateConfig's {@code hubble} section, under the names the agent (like a
 * Cilium agent) takes them, and the check that the agent will accept them: a metric or filter it refuses would
 * otherwise only show as agents failing to start on every node.
 */
public final class HubbleAgentArgs {
  public static final String LISTEN_PORT = "hubble-listen-port";
  public static final String BUFFER_CAPACITY = "hubble-event-buffer-capacity";
  public static final String METRICS = "hubble-metrics";
  public static final String METRICS_PORT = "hubble-metrics-port";

  private HubbleAgentArgs() {}

  /** Option name (without dashes) → value, in the order the agent's command line gets them. */
  public static Map<String, String> options(HubbleSpec hubble) {
    Map<String, String> options = new LinkedHashMap<>();
    if (!hubble.enabled()) {
      options.put(LISTEN_PORT, "0");
      return options;
    }
    options.put(LISTEN_PORT, String.valueOf(HubbleServices.AGENT_PORT));
    if (hubble.eventBufferCapacity != null) {
      options.put(BUFFER_CAPACITY, hubble.eventBufferCapacity.toString());
    }
    if (metricsOn(hubble)) {
      options.put(METRICS, String.join(" ", hubble.metrics().enabled()));
      options.put(METRICS_PORT, String.valueOf(hubble.metrics().port()));
    }
    options.putAll(export(hubble.export()));
    return options;
  }

  /** {@code --name value} for each of {@link #options}. */
  public static List<String> args(HubbleSpec hubble) {
    List<String> args = new ArrayList<>();
    options(hubble).forEach((name, value) -> args.addAll(List.of("--" + name, value)));
    return args;
  }

  /** Whether the agents serve Hubble metrics. */
  public static boolean metricsOn(HubbleSpec hubble) {
    return hubble.enabled() && !hubble.metrics().enabled().isEmpty();
  }

  /** The node directory the export file is in, which the agent's container mounts; empty when none is. */
  public static Optional<String> exportDirectory(HubbleSpec hubble) {
    if (!hubble.enabled() || !hubble.export().toNodeFile()) {
      return Optional.empty();
    }
    return Optional.of(Path.of(hubble.export().filePath).getParent().toString());
  }

  /** What the agent would refuse in these options, naming the field; empty when it takes them. */
  public static Optional<String> problem(HubbleSpec hubble) {
    if (!hubble.enabled()) {
      return Optional.empty();
    }
    Integer capacity = hubble.eventBufferCapacity;
    if (capacity != null && (capacity < 1 || Integer.bitCount(capacity + 1) != 1)) {
      return Optional.of("spec.hubble.eventBufferCapacity: must be one less than a power of two, got " + capacity);
    }
    try {
      HubbleMetrics.parse(String.join(" ", hubble.metrics().enabled()));
    } catch (IllegalArgumentException e) {
      return Optional.of("spec.hubble.metrics.enabled: " + e.getMessage());
    }
    if (hubble.export().enabled()) {
      try {
        ExportOptions.parse(export(hubble.export()));
      } catch (IllegalArgumentException e) {
        return Optional.of("spec.hubble.export: " + e.getMessage());
      }
    }
    return Optional.empty();
  }

  private static Map<String, String> export(HubbleExportSpec export) {
    Map<String, String> options = new LinkedHashMap<>();
    if (!export.enabled()) {
      return options;
    }
    options.put(ExportOptions.FILE_PATH, export.filePath);
    if (export.fileMaxSizeMb != null) {
      options.put(ExportOptions.FILE_MAX_SIZE_MB, export.fileMaxSizeMb.toString());
    }
    if (export.fileMaxBackups != null) {
      options.put(ExportOptions.FILE_MAX_BACKUPS, export.fileMaxBackups.toString());
    }
    if (export.fileCompress != null) {
      options.put(ExportOptions.FILE_COMPRESS, export.fileCompress.toString());
    }
    if (export.allowList != null && !export.allowList.isEmpty()) {
      options.put(ExportOptions.ALLOWLIST, String.join(",", export.allowList));
    }
    if (export.denyList != null && !export.denyList.isEmpty()) {
      options.put(ExportOptions.DENYLIST, String.join(",", export.denyList));
    }
    if (export.fieldMask != null && !export.fieldMask.isEmpty()) {
      options.put(ExportOptions.FIELD_MASK, String.join(" ", export.fieldMask));
    }
    return options;
  }
}
