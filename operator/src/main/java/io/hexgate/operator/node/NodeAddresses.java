package io.hexgate.operator.node;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.CidrPrefix.InvalidCidrException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The addresses of every Node ({@code status.addresses} of type InternalIP and ExternalIP, as host
 * prefixes), by node name: in each node's IP cache its own addresses get {@code reserved:host} (1) and
 * the other nodes' {@code reserved:remote-node} (6), so that {@code fromEntities: [host]}, {@code
 * remote-node} and allow-localhost see node traffic as Cilium does. Thread-safe; listeners hear every new
 * table in order, on the thread that changed it.
 */
public final class NodeAddresses {
  private static final Logger LOG = LoggerFactory.getLogger(NodeAddresses.class);
  private static final Set<String> TYPES = Set.of("InternalIP", "ExternalIP");

  private final Map<String, Set<String>> byNode = new TreeMap<>();
  // each node's Hubble peer address: its first InternalIP, else its first ExternalIP
  private final Map<String, String> peerIps = new TreeMap<>();
  private final List<Consumer<Map<String, Set<String>>>> listeners = new CopyOnWriteArrayList<>();

  public void addListener(Consumer<Map<String, Set<String>>> listener) {
    listeners.add(listener);
  }

  /**
   * The host prefixes of a Node's InternalIP and ExternalIP addresses. An address that is not an IP
   * literal (a misconfigured node) is skipped with a warning naming the node and the field: it must never
   * be resolved, nor turn a whole range into the node.
   */
  public static Set<String> of(Node n) {
    Set<String> out = new TreeSet<>();
    if (n.getStatus() == null || n.getStatus().getAddresses() == null) {
      return out;
    }
    List<NodeAddress> addresses = n.getStatus().getAddresses();
    for (int i = 0; i < addresses.size(); i++) {
      NodeAddress a = addresses.get(i);
      if (a == null || !TYPES.contains(a.getType()) || a.getAddress() == null) {
        continue;
      }
      String text = a.getAddress().trim();
      try {
        if (text.indexOf('/') < 0) {
          out.add(CidrPrefix.parse(text).toString());
          continue;
        }
      } catch (InvalidCidrException e) {
        // logged below
      }
      LOG.warn("Node {}: status.addresses[{}].address \"{}\" is not an IP address, ignored", n.getMetadata().getName(), i, text);
    }
    return out;
  }

  public void upsert(Node n) {
    String peerIp = firstIp(n, "InternalIP");
    set(n.getMetadata().getName(), of(n), peerIp != null ? peerIp : firstIp(n, "ExternalIP"));
  }

  public void delete(String node) {
    set(node, Set.of(), null);
  }

  // the first address of this type that is an IP literal; null when there is none
  private static String firstIp(Node n, String type) {
    if (n.getStatus() == null || n.getStatus().getAddresses() == null) {
      return null;
    }
    for (NodeAddress a : n.getStatus().getAddresses()) {
      if (a != null && type.equals(a.getType()) && a.getAddress() != null && a.getAddress().indexOf('/') < 0) {
        try {
          CidrPrefix.parse(a.getAddress().trim());
          return a.getAddress().trim();
        } catch (InvalidCidrException e) {
          // of(n) warns about it
        }
      }
    }
    return null;
  }

  private synchronized void set(String node, Set<String> addresses, String peerIp) {
    String oldPeerIp = peerIp == null ? peerIps.remove(node) : peerIps.put(node, peerIp);
    Set<String> old = byNode.get(node);
    // another InternalIP among the same addresses moves the node's peer address: listeners read it anew
    if ((addresses.isEmpty() ? old == null : addresses.equals(old)) && Objects.equals(oldPeerIp, peerIp)) {
      return;
    }
    if (addresses.isEmpty()) {
      byNode.remove(node);
    } else {
      byNode.put(node, Set.copyOf(addresses));
    }
    Map<String, Set<String>> next = Map.copyOf(byNode);
    // under the lock, so that listeners hear tables in the order they were made
    listeners.forEach(l -> l.accept(next));
  }

  /**
   * Each node's address for Hubble peers: its first InternalIP, else its first ExternalIP; read it in a
   * listener to see the table that listener is told of.
   */
  public synchronized Map<String, String> peerAddresses() {
    Map<String, String> out = new TreeMap<>();
    byNode.keySet().forEach(node -> out.put(node, peerIps.get(node)));
    return out;
  }

  /** The current table. */
  public synchronized Map<String, Set<String>> all() {
    return Map.copyOf(byNode);
  }
}
