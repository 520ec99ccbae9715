package io.hexgate.observer.peer;

import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.contract.hubble.peer.ChangeNotificationType;
import io.hexgate.contract.hubble.peer.TLS;
import io.hexgate.observer.server.HubbleServices;
import java.util.Objects;

/**
 * One Hubble peer as the peer service names it.
 *
 * @param name the node name, {@code cluster/node} outside the default cluster
 * @param address the node's IP without a port ("" when not known yet); a port, when present, is kept
 * @param tlsServerName the server name its TLS certificate carries; null when it serves plaintext
 */
public record PeerInfo(String name, String address, String tlsServerName) {
  private static final String DEFAULT_CLUSTER = "default";
  private static final String TLS_DOMAIN = "hubble-grpc.cilium.io";

  public PeerInfo {
    Objects.requireNonNull(name, "name");
    address = address == null ? "" : address;
    tlsServerName = tlsServerName == null || tlsServerName.isEmpty() ? null : tlsServerName;
  }

  /** The peer {@code node} of {@code cluster}, serving TLS ({@code tls}) or plaintext. */
  public static PeerInfo of(String cluster, String node, String address, boolean tls) {
    return new PeerInfo(peerName(cluster, node), address, tls ? tlsServerName(cluster, node) : null);
  }

  /** The node alone in the default cluster (or none), {@code cluster/node} otherwise: Hubble's peer names. */
  public static String peerName(String cluster, String node) {
    return cluster == null || cluster.isEmpty() || cluster.equals(DEFAULT_CLUSTER) ? node : cluster + "/" + node;
  }

  /**
   * {@code <node>.<cluster>.hubble-grpc.cilium.io}, dots in the node and cluster names made dashes (so each
   * is one DNS label) and {@code default} for an empty cluster: the name a Hubble server's certificate has.
   */
  public static String tlsServerName(String cluster, String node) {
    String c = cluster == null || cluster.isEmpty() ? DEFAULT_CLUSTER : cluster;
    return node.replace('.', '-') + "." + c.replace('.', '-') + "." + TLS_DOMAIN;
  }

  public boolean tls() {
    return tlsServerName != null;
  }

  /** The address to dial: {@code address} with {@link HubbleServices#AGENT_PORT} added when it has no port. */
  public String target() {
    if (address.startsWith("[")) {
      return address.contains("]:") ? address : address + ":" + HubbleServices.AGENT_PORT;
    }
    int colons = address.length() - address.replace(":", "").length();
    if (colons == 1) {
      return address; // host:port
    }
    return colons > 1 ? "[" + address + "]:" + HubbleServices.AGENT_PORT : address + ":" + HubbleServices.AGENT_PORT;
  }

  /** This peer in a notification of {@code type}. */
  public ChangeNotification notification(ChangeNotificationType type) {
    ChangeNotification.Builder n = ChangeNotification.newBuilder().setName(name).setAddress(address).setType(type);
    if (tlsServerName != null) {
      n.setTls(TLS.newBuilder().setServerName(tlsServerName));
    }
    return n.build();
  }

  /** The peer a notification names. */
  public static PeerInfo of(ChangeNotification n) {
    return new PeerInfo(n.getName(), n.getAddress(), n.hasTls() ? n.getTls().getServerName() : null);
  }
}
