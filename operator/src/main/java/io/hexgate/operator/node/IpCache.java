package io.hexgate.operator.node;

import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.ReservedIdentity;
import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.CidrPrefix.InvalidCidrException;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicySnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The cluster-wide address → identity table every node receives: each pod IP as a host prefix, and each
 * CIDR prefix a rule names ({@code entries}); and the nodes' own addresses ({@code nodes}, by node name),
 * which depend on who looks: {@link #entriesFor} gives a node's own addresses {@code reserved:host} and
 * the other nodes' {@code reserved:remote-node}. {@code pods} names the pod behind each pod prefix, so that
 * agents name pods of other nodes in their flows. {@code nodeNames} names the node behind each node's Hubble
 * peer address (one prefix per node), so that every agent's peer service announces every node. Immutable.
 */
public record IpCache(Map<String, Long> entries, Map<String, Set<String>> nodes, Map<String, Pod> pods, Map<String, String> nodeNames) {
  public static final IpCache EMPTY = new IpCache(Map.of(), Map.of(), Map.of(), Map.of());

  /**
   * The pod holding a prefix, with its identity and that identity's labels ({@code source:key=value}).
   *
   * @param workload null for a pod no controller owns
   */
  public record Pod(String namespace, String name, long identity, List<String> labels,
      Endpoint.Workload workload) {
    public Pod {
      labels = List.copyOf(labels);
    }
  }

  public IpCache {
    entries = Map.copyOf(entries);
    nodes = Map.copyOf(nodes);
    pods = Map.copyOf(pods);
    nodeNames = Map.copyOf(nodeNames);
  }

  public IpCache(Map<String, Long> entries) {
    this(entries, Map.of(), Map.of(), Map.of());
  }

  public IpCache(Map<String, Long> entries, Map<String, Set<String>> nodes) {
    this(entries, nodes, Map.of(), Map.of());
  }

  /** Reads the pods and CIDR prefixes off the engine, with no node addresses. */
  public static IpCache of(PolicySnapshot engine) {
    Map<String, Long> out = new HashMap<>();
    for (Map.Entry<CidrPrefix, Long> e : engine.cidrIdentities().entrySet()) {
      out.put(e.getKey().toString(), e.getValue());
    }
    Map<String, Pod> pods = new HashMap<>();
    // one list per identity, shared by its pods: comparing caches then mostly compares instances
    Map<Long, List<String>> labels = new HashMap<>();
    // Pods after CIDRs: a pod's own /32 is more specific than any rule's prefix anyway.
    for (Endpoint ep : engine.endpoints()) {
      Identity id = engine.identityOf(ep.key());
      if (ep.ip() != null && !ep.ip().isEmpty() && id != null) {
        String prefix = ep.ip() + (ep.ip().indexOf(':') >= 0 ? "/128" : "/32");
        out.put(prefix, id.id());
        pods.put(prefix, new Pod(ep.namespace(), ep.name(), id.id(), labels.computeIfAbsent(id.id(), x -> labels(id)),
            ep.workload()));
      }
    }
    return new IpCache(out, Map.of(), pods, Map.of());
  }

  private static List<String> labels(Identity id) {
    List<String> out = new ArrayList<>();
    for (Label l : id.labels()) {
      out.add(l.toString());
    }
    return List.copyOf(out);
  }

  /**
   * The same pods and prefixes with these node addresses, each node's Hubble peer address ({@code
   * peerAddresses}, an IP by node name, see {@link NodeAddresses#peerAddresses()}) carrying its name.
   */
  public IpCache withNodes(Map<String, Set<String>> next, Map<String, String> peerAddresses) {
    Map<String, String> names = nodeNames(peerAddresses);
    return next.equals(nodes) && names.equals(nodeNames) ? this : new IpCache(entries, next, pods, names);
  }

  /** The same node addresses and names as {@code other}'s. */
  public IpCache withNodesOf(IpCache other) {
    return new IpCache(entries, other.nodes, pods, other.nodeNames);
  }

  // host prefix → node; of two nodes announcing one address, the first by name
  private static Map<String, String> nodeNames(Map<String, String> peerAddresses) {
    Map<String, String> out = new HashMap<>();
    new TreeMap<>(peerAddresses).forEach((node, address) -> {
      try {
        out.putIfAbsent(CidrPrefix.parse(address).toString(), node);
      } catch (InvalidCidrException e) {
        // NodeAddresses gives IP literals only; a node with none is not announced
      }
    });
    return out;
  }

  /**
   * The contract entry of {@code prefix} with identity {@code identity} (as {@link #entriesFor} gives it):
   * with the pod's name, labels and workload when the prefix is a pod's address and still carries its
   * identity, and the node's name when it is a node's Hubble peer address.
   */
  public IpcacheEntry entry(String prefix, long identity) {
    IpcacheEntry.Builder b = IpcacheEntry.newBuilder().setPrefix(prefix).setIdentity(identity);
    Pod pod = pods.get(prefix);
    if (pod != null && pod.identity() == identity) {
      b.setNamespace(pod.namespace()).setPodName(pod.name()).addAllLabels(pod.labels());
      if (pod.workload() != null) {
        b.setWorkload(ContractMessages.workload(pod.workload()));
      }
    }
    String node = nodeNames.get(prefix);
    if (node != null) {
      b.setNodeName(node);
    }
    return b.build();
  }

  /** Whether {@code prefix} names another pod or node here than in {@code other}. */
  boolean namingChanged(String prefix, IpCache other) {
    return !Objects.equals(pods.get(prefix), other.pods.get(prefix))
        || !Objects.equals(nodeNames.get(prefix), other.nodeNames.get(prefix));
  }

  /**
   * The table as {@code node} must see it: its own addresses are the host (1), every other node's a
   * remote node (6). A node address beats a CIDR prefix a rule names (CIDR rules never select nodes), but
   * not a pod's address: whatever holds a pod's IP gets no more than the pod's identity.
   */
  public Map<String, Long> entriesFor(String node) {
    if (nodes.isEmpty()) {
      return entries;
    }
    Map<String, Long> out = new HashMap<>(entries);
    nodes.forEach(
        (name, addresses) -> {
          long id = name.equals(node) ? ReservedIdentity.HOST.id() : ReservedIdentity.REMOTE_NODE.id();
          for (String prefix : addresses) {
            Long current = out.get(prefix);
            boolean pod = current != null && current >= ReservedIdentity.FIRST_CLUSTER_ID && current < ReservedIdentity.FIRST_CIDR_ID;
            // and of two nodes claiming one address, this node's own wins
            boolean host = current != null && current == ReservedIdentity.HOST.id();
            if (!pod && !host) {
              out.put(prefix, id);
            }
          }
        });
    return out;
  }
}
