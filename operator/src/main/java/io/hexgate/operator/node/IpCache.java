package io.hexgate.operator.node;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.ReservedIdentity;
import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicySnapshot;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The cluster-wide address → identity table every node receives: each pod IP as a host prefix, and each
 * CIDR prefix a rule names ({@code entries}); and the nodes' own addresses ({@code nodes}, by node name),
 * which depend on who looks: {@link #entriesFor} gives a node's own addresses {@code reserved:host} and
 * the other nodes' {@code reserved:remote-node}. Immutable.
 */
public record IpCache(Map<String, Long> entries, Map<String, Set<String>> nodes) {
  public static final IpCache EMPTY = new IpCache(Map.of(), Map.of());

  public IpCache {
    entries = Map.copyOf(entries);
    nodes = Map.copyOf(nodes);
  }

  public IpCache(Map<String, Long> entries) {
    this(entries, Map.of());
  }

  /** Reads the pods and CIDR prefixes off the engine, with no node addresses. */
  public static IpCache of(PolicySnapshot engine) {
    Map<String, Long> out = new HashMap<>();
    for (Map.Entry<CidrPrefix, Long> e : engine.cidrIdentities().entrySet()) {
      out.put(e.getKey().toString(), e.getValue());
    }
    // Pods after CIDRs: a pod's own /32 is more specific than any rule's prefix anyway.
    for (Endpoint ep : engine.endpoints()) {
      Identity id = engine.identityOf(ep.key());
      if (ep.ip() != null && !ep.ip().isEmpty() && id != null) {
        out.put(ep.ip() + (ep.ip().indexOf(':') >= 0 ? "/128" : "/32"), id.id());
      }
    }
    return new IpCache(out);
  }

  /** The same pods and prefixes with these node addresses. */
  public IpCache withNodes(Map<String, Set<String>> next) {
    return next.equals(nodes) ? this : new IpCache(entries, next);
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
