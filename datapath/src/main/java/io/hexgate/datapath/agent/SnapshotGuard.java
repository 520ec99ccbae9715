package io.hexgate.datapath.agent;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.StateUpdate;
import java.util.List;

/**
 * Refuses a snapshot that would empty what the agent enforces without the operator vouching for it: a
 * snapshot not marked {@code complete} (an operator whose engine was not fully fed, e.g. a new leader
 * before its informers synced, or an operator too old to say) may not remove an endpoint, an IP cache
 * entry or a service the agent holds. Such a snapshot is NACKed and the last good state stays in force;
 * one that only adds or changes entries is applied.
 */
final class SnapshotGuard {
  private static final int NAMED = 5;

  private SnapshotGuard() {}

  /** Throws when {@code u} is an incomplete snapshot that takes entries away from {@code current}. */
  static void check(StateUpdate u, AgentState current, AgentState next) {
    if (!u.getSnapshot() || u.getComplete()) {
      return;
    }
    List<EndpointKey> endpoints =
        current.endpoints().keySet().stream().filter(k -> !next.endpoints().containsKey(k)).toList();
    long ipcache = current.ipcache().keySet().stream().filter(p -> !next.ipcache().containsKey(p)).count();
    long services = current.services().keySet().stream().filter(f -> !next.services().containsKey(f)).count();
    if (endpoints.isEmpty() && ipcache == 0 && services == 0) {
      return;
    }
    String names =
        String.join(", ", endpoints.stream().limit(NAMED).map(k -> k.getNamespace() + "/" + k.getName()).toList())
            + (endpoints.size() > NAMED ? " and " + (endpoints.size() - NAMED) + " more" : "");
    throw new IllegalStateException(
        "snapshot " + u.getRevision() + "@" + u.getEpoch() + " is not marked complete and would remove "
            + endpoints.size() + " endpoints" + (endpoints.isEmpty() ? "" : " (" + names + ")") + ", "
            + ipcache + " IP cache entries and " + services + " services this agent enforces (revision "
            + current.revision() + "@" + (current.epoch().isEmpty() ? "-" : current.epoch())
            + "); keeping them until the operator sends a complete snapshot");
  }
}
