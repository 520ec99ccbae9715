package io.hexgate.datapath.metrics;

import java.util.Map;

/** Cilium's text for each drop reason the datapath reports, as {@code cilium_drop_count_total} labels it. */
public final class DropReasons {
  private static final Map<Integer, String> TEXT =
      Map.ofEntries(
          Map.entry(132, "Invalid source ip"),
          Map.entry(133, "Policy denied"),
          Map.entry(134, "Invalid packet"),
          Map.entry(135, "CT: Truncated or invalid header"),
          Map.entry(137, "CT: Unknown L4 protocol"),
          Map.entry(139, "Unsupported L3 protocol"),
          Map.entry(142, "Unknown L4 protocol"),
          Map.entry(151, "Stale or unroutable IP"),
          Map.entry(155, "CT: Map insertion failed"),
          Map.entry(157, "IP fragmentation not supported"),
          Map.entry(158, "Service backend not found"),
          Map.entry(171, "Invalid identity"),
          Map.entry(180, "Proxy redirection not supported for protocol"),
          Map.entry(181, "Policy denied by denylist"),
          Map.entry(203, "Endpoint policy program not available"));

  private DropReasons() {}

  public static String text(int reason) {
    String t = TEXT.get(reason);
    return t != null ? t : "Unknown reason (" + reason + ")";
  }
}
