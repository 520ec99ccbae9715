package io.hexgate.cli.observe;

import io.hexgate.contract.hubble.observer.GetNodesResponse;
import io.hexgate.contract.hubble.observer.Node;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * What {@code hexgate status} tells beyond {@code hubble status}: events lost, and per node agent its
 * state, the policy revision it applied, whether its kernel enforces it, and its flows.
 */
final class NodesTable {
  private NodesTable() {}

  /**
   * {@code nodes} from the relay's GetNodes; null when the server is an agent, which reports only itself,
   * or a relay that lists no nodes.
   */
  static String print(ServerStatusResponse status, GetNodesResponse nodes) {
    StringBuilder b = new StringBuilder();
    b.append("Lost Events: ").append(StatusPrinter.grouped(status.getLostEvents())).append('\n');
    if (nodes == null && status.hasNumConnectedNodes()) {
      return b.toString();
    }
    TabTable t = new TabTable(0, 3);
    t.add(List.of("NODE", "STATUS", "REVISION", "ENFORCING", "FLOWS/S", "CURRENT/MAX FLOWS", "LOST EVENTS"));
    if (nodes == null) {
      t.add(row("(this agent)", "Connected", status.getAppliedRevision(), status.getEnforcing(), status.getNotEnforcingReason(),
          status.getFlowsRate(), status.getNumFlows(), status.getMaxFlows(), status.getLostEvents()));
    } else {
      for (Node n : nodes.getNodesList()) {
        double rate = n.getUptimeNs() == 0 ? 0 : n.getSeenFlows() / (n.getUptimeNs() / 1e9);
        String state = switch (n.getState()) {
          case NODE_CONNECTED -> "Connected";
          case NODE_UNAVAILABLE -> "Unavailable";
          case NODE_GONE -> "Gone";
          case NODE_ERROR -> "Error";
          default -> "Unknown";
        };
        t.add(row(n.getName(), state, n.getAppliedRevision(), n.getEnforcing(), n.getNotEnforcingReason(), rate, n.getNumFlows(),
            n.getMaxFlows(), n.getLostEvents()));
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    t.printTo(out);
    return b + bytes.toString(StandardCharsets.UTF_8);
  }

  private static List<String> row(String name, String state, String revision, boolean enforcing, String why, double rate, long num,
      long max, long lost) {
    return List.of(name, state, revision.isEmpty() ? "-" : revision, enforcing ? "yes" : why.isEmpty() ? "no" : "no (" + why + ")",
        String.format(Locale.ROOT, "%.2f", rate), StatusPrinter.grouped(num) + "/" + StatusPrinter.grouped(max), StatusPrinter.grouped(lost));
  }
}
