package io.hexgate.datapath.observe;

import io.hexgate.datapath.agent.AgentState;
import io.hexgate.observer.peer.PeerDirectory;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.observer.peer.PeerTable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every node of the cluster, this one included, as the agent's peer service announces it (what a Cilium
 * agent serves a stock hubble-relay through the {@code hubble-peer} Service): each node at the peer address
 * the operator names in the IP cache, from the applied state, so nodes come, move and go with revisions.
 *
 * <p>Agent certificates name the default cluster (the operator's CA does not know the cluster's name), so
 * peers are announced there: named by their node, with {@code <node>.default.hubble-grpc.cilium.io} as the
 * TLS server name when agents serve TLS.
 */
public final class ClusterPeers {
  private final boolean tls;
  private final PeerTable table = new PeerTable();
  private Map<String, String> seen; // the applied state's node names, to skip revisions that kept them

  /** @param tls whether the agents serve Hubble over TLS (peers then carry their TLS server names) */
  public ClusterPeers(boolean tls) {
    this.tls = tls;
  }

  /** The nodes {@code state} names; the differences from the last state are told to watchers. */
  public synchronized void update(AgentState state) {
    Map<String, String> nodes = state.ipcacheNodes();
    if (nodes == seen) {
      return; // the revision did not touch the IP cache
    }
    seen = nodes;
    // one address per node: of two a state names (never sent by the operator), the least
    Map<String, PeerInfo> byNode = new TreeMap<>();
    new TreeMap<>(nodes).forEach(
        (prefix, node) -> byNode.putIfAbsent(node, PeerInfo.of(null, node, host(prefix), tls)));
    table.replaceAll(List.copyOf(byNode.values()));
  }

  private static String host(String prefix) {
    int slash = prefix.indexOf('/');
    return slash < 0 ? prefix : prefix.substring(0, slash);
  }

  /** The nodes as the Peer service reads them: the current ones, then each change. */
  public PeerDirectory directory() {
    return table;
  }
}
