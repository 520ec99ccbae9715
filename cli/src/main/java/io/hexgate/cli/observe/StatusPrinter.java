package io.hexgate.cli.observe;

import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.observer.json.HubbleJson;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/** A ServerStatus answer as {@code hubble status} prints it, in its compact, dict, table or JSON form. */
final class StatusPrinter {
  private StatusPrinter() {}

  static String print(ServerStatusResponse res, FlowPrinter.Output output) {
    String connected = res.hasNumConnectedNodes() ? Integer.toUnsignedString(res.getNumConnectedNodes().getValue()) : "N/A";
    String unavailable = res.hasNumUnavailableNodes() ? Integer.toUnsignedString(res.getNumUnavailableNodes().getValue()) : "N/A";
    String flowsPerSec = res.getFlowsRate() > 0 ? twoDecimals(res.getFlowsRate()) : "N/A";
    return switch (output) {
      case TABLE -> {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream ps = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        TabTable t = new TabTable(2, 3);
        t.add(List.of("NUM FLOWS", "MAX FLOWS", "SEEN FLOWS", "FLOWS PER SECOND", "UPTIME", "NUM CONNECTED NODES",
            "NUM UNAVAILABLE NODES", "VERSION"));
        t.add(List.of(grouped(res.getNumFlows()), grouped(res.getMaxFlows()), grouped(res.getSeenFlows()), flowsPerSec,
            goDuration(res.getUptimeNs()), connected, unavailable, res.getVersion()));
        t.printTo(ps);
        yield bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
      }
      case DICT -> "          NUM FLOWS: " + grouped(res.getNumFlows()) + "\n"
          + "          MAX FLOWS: " + grouped(res.getMaxFlows()) + "\n"
          + "         SEEN FLOWS: " + grouped(res.getSeenFlows()) + "\n"
          + "   FLOWS PER SECOND: " + flowsPerSec + "\n"
          + "             UPTIME: " + goDuration(res.getUptimeNs()) + "\n"
          + "NUM CONNECTED NODES: " + connected + "\n"
          + " NUM UNAVAIL. NODES: " + unavailable + "\n"
          + "            VERSION: " + res.getVersion() + "\n";
      case JSONPB -> HubbleJson.line(res) + "\n";
      case COMPACT -> compact(res, flowsPerSec);
    };
  }

  private static String compact(ServerStatusResponse res, String flowsPerSec) {
    StringBuilder b = new StringBuilder();
    String ratio = res.getMaxFlows() != 0
        ? " (" + twoDecimals(unsigned(res.getNumFlows()) / unsigned(res.getMaxFlows()) * 100) + "%)" : "";
    b.append("Current/Max Flows: ").append(grouped(res.getNumFlows())).append('/').append(grouped(res.getMaxFlows())).append(ratio).append('\n');
    double uptimeSeconds = unsigned(res.getUptimeNs()) / 1e9;
    if (flowsPerSec.equals("N/A") && uptimeSeconds > 0) {
      flowsPerSec = twoDecimals(unsigned(res.getSeenFlows()) / uptimeSeconds);
    }
    b.append("Flows/s: ").append(flowsPerSec).append('\n');
    if (res.hasNumConnectedNodes()) {
      long c = Integer.toUnsignedLong(res.getNumConnectedNodes().getValue());
      String total = res.hasNumUnavailableNodes() ? "/" + ((c + Integer.toUnsignedLong(res.getNumUnavailableNodes().getValue())) & 0xffff_ffffL) : "";
      b.append("Connected Nodes: ").append(c).append(total).append('\n');
    }
    if (res.hasNumUnavailableNodes() && res.getNumUnavailableNodes().getValue() != 0) {
      long n = Integer.toUnsignedLong(res.getNumUnavailableNodes().getValue());
      List<String> names = new ArrayList<>(res.getUnavailableNodesList());
      if (names.isEmpty()) {
        b.append("Unavailable Nodes: ").append(n).append('\n');
      } else {
        names.sort(null);
        if (n > names.size()) {
          names.add("and " + (n - names.size()) + " more...");
        }
        b.append("Unavailable Nodes: ").append(n).append("\n  - ").append(String.join("\n  - ", names)).append('\n');
      }
    }
    return b.toString();
  }

  private static double unsigned(long v) {
    return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
  }

  /** Go's %.2f: the double's exact value rounded half to even. */
  static String twoDecimals(double v) {
    return new BigDecimal(v).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
  }

  /** {@code 1,234,567}: thousands grouped with commas. */
  static String grouped(long n) {
    String in = Long.toUnsignedString(n);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < in.length(); i++) {
      if (i > 0 && (in.length() - i) % 3 == 0) {
        b.append(',');
      }
      b.append(in.charAt(i));
    }
    return b.toString();
  }

  /** Go's time.Duration.String of a nanosecond count ({@code 1h0m0s}, {@code 1m40s}, {@code 1.5s}, {@code 500ms}). */
  static String goDuration(long ns) {
    if (ns < 0) {
      return Long.toUnsignedString(ns) + "ns";
    }
    if (ns == 0) {
      return "0s";
    }
    if (ns < 1_000_000_000L) {
      if (ns < 1_000L) {
        return ns + "ns";
      }
      if (ns < 1_000_000L) {
        return fraction(ns, 1_000L) + "µs";
      }
      return fraction(ns, 1_000_000L) + "ms";
    }
    long hours = ns / 3_600_000_000_000L;
    long rest = ns % 3_600_000_000_000L;
    long minutes = rest / 60_000_000_000L;
    rest %= 60_000_000_000L;
    StringBuilder b = new StringBuilder();
    if (hours > 0) {
      b.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      b.append(minutes).append('m');
    }
    return b.append(fraction(rest, 1_000_000_000L)).append('s').toString();
  }

  private static String fraction(long value, long unit) {
    BigDecimal d = BigDecimal.valueOf(value).divide(BigDecimal.valueOf(unit)).stripTrailingZeros();
    return d.scale() <= 0 ? d.toBigInteger().toString() : d.toPlainString();
  }
}
