package io.hexgate.operator.relay;

import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.observer.peer.PeerDirectory;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.observer.peer.PeerTable;
import io.hexgate.operator.node.AgentListeners;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.node.AgentReportListener;
import io.hexgate.operator.node.NodeAddresses;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The Hubble peers as the operator knows them: every node whose agent is connected to it, at the node's
 * InternalIP ({@link NodeAddresses#peerAddresses()}; "" until the Node has one). An agent leaving is
 * PEER_DELETED, its node's address changing PEER_UPDATED.
 */
public final class AgentPeers implements PeerDirectory, AgentReportListener {
  private final String cluster;
  private final boolean tls;
  private final PeerTable table = new PeerTable();
  private final Set<String> connected = new TreeSet<>();
  private Map<String, String> addresses;

  /**
   * @param cluster the cluster name peers are announced in
   * @param tls whether agents serve Hubble over TLS (peers then carry their TLS server names)
   */
  public AgentPeers(String cluster, boolean tls, NodeAddresses nodes) {
    this.cluster = cluster;
    this.tls = tls;
    // told under the address table's lock, which is always taken before this one
    nodes.addListener(t -> addresses(nodes.peerAddresses()));
    addresses(nodes.peerAddresses());
  }

  /**
   * The peers of the agents {@code listeners} hear connect, announced with TLS server names unless
   * {@code relay} says agents serve plaintext.
   */
  public static AgentPeers listening(String cluster, RelayConfig relay, NodeAddresses nodes, AgentListeners listeners) {
    AgentPeers peers = new AgentPeers(cluster, relay == null || relay.agentTls(), nodes);
    listeners.add(peers);
    return peers;
  }

  private synchronized void addresses(Map<String, String> next) {
    addresses = next;
    connected.forEach(this::announce);
  }

  @Override
  public void reported(AgentReport report) {
    // ACKs say nothing about where the agent's Hubble server is
  }

  @Override
  public synchronized void connectionChanged(String node, boolean isConnected) {
    if (isConnected) {
      connected.add(node);
      announce(node);
    } else if (connected.remove(node)) {
      table.remove(PeerInfo.peerName(cluster, node));
    }
  }

  private void announce(String node) {
    // agent certificates name the default cluster whatever the operator's is (the CA does not know it)
    table.put(new PeerInfo(PeerInfo.peerName(cluster, node), addresses.getOrDefault(node, ""),
        tls ? CertificateAuthority.hubbleServerName(node) : null));
  }

  @Override
  public List<PeerInfo> peers() {
    return table.peers();
  }

  @Override
  public AutoCloseable watch(Consumer<ChangeNotification> listener) {
    return table.watch(listener);
  }
}
