package io.hexgate.lab.flows;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A flow read back from a {@link FlowLine}, the one form in which {@code hexgate lab flows} and the lab's
 * flow server give flows to another process: who sent it to whom, and whether and why it was dropped.
 *
 * @param source the source pod ({@code namespace/name}), or its address when it is no pod
 * @param dropReason the datapath's drop reason; 0 when forwarded
 */
public record ReportedFlow(String source, String destination, int destinationPort, boolean dropped, int dropReason, String node) {
  private static final Pattern LINE = Pattern.compile(
      "\\S+ \\S+ \\S+  (?<src>[^\\s:]+)(?::\\d+)? \\(ID:\\d+\\) -> (?<dst>[^\\s:]+)(?::(?<dport>\\d+))? \\(ID:\\d+\\)  \\S+ \\S+"
          + "  (?:FORWARDED|DROPPED \\(.*, reason (?<reason>\\d+)\\))(?:  policy \\S+)?  \\[(?<node>[^\\]]*)\\]");

  /** The flow a line shows; empty for anything else (a blank line, a message). */
  public static Optional<ReportedFlow> parse(String line) {
    Matcher m = LINE.matcher(line);
    if (!m.matches()) {
      return Optional.empty();
    }
    String reason = m.group("reason");
    String dport = m.group("dport");
    return Optional.of(new ReportedFlow(m.group("src"), m.group("dst"), dport == null ? 0 : Integer.parseInt(dport), reason != null,
        reason == null ? 0 : Integer.parseInt(reason), m.group("node")));
  }
}
