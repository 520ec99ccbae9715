package io.hexgate.operator.node;

import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps every node's desired state, rendered from the policy engine, with a revision counter and a
 * bounded history per node. Rendering happens in {@link #changed}, on the engine's writer thread; agents'
 * streams read the published revisions from gRPC threads.
 *
 * <p>The IP cache is cluster-wide: when it changes, every known node gets a new revision, even nodes
 * the caller did not name. A node becomes known when one of its pods appears or its agent connects.
 */
public final class NodeStateHub implements DesiredStateListener {
  public static final int DEFAULT_HISTORY = 64;

  private final String epoch;
  private final int historyLimit;
  private final Map<String, NodeRevisions> nodes = new ConcurrentHashMap<>();
  private volatile IpCache ipcache = IpCache.EMPTY;

  public NodeStateHub() {
    this(UUID.randomUUID().toString(), DEFAULT_HISTORY);
  }

  /**
   * @param epoch names this operator instance; agents resume only from revisions of the same epoch
   * @param historyLimit revisions kept per node for resuming agents
   */
  public NodeStateHub(String epoch, int historyLimit) {
    if (historyLimit < 1) {
      throw new IllegalArgumentException("historyLimit must be at least 1, was " + historyLimit);
    }
    this.epoch = epoch;
    this.historyLimit = historyLimit;
  }

  public String epoch() {
    return epoch;
  }

  @Override
  public void changed(PolicyEngine engine, Set<String> changedNodes) {
    IpCache nextCache = IpCache.of(engine);
    boolean cacheChanged = !nextCache.equals(ipcache);
    if (cacheChanged) {
      // one shared instance, so that per-node comparisons short-cut on identity
      ipcache = nextCache;
    }
    IpCache cache = ipcache;

    Map<String, List<Endpoint>> byNode = new HashMap<>();
    boolean all = changedNodes.isEmpty();
    for (Endpoint e : engine.endpoints()) {
      if (e.node() != null && (all || changedNodes.contains(e.node()))) {
        byNode.computeIfAbsent(e.node(), n -> new ArrayList<>()).add(e);
      }
    }
    Set<String> rendered = new HashSet<>(byNode.keySet());
    rendered.addAll(changedNodes);
    if (all) {
      rendered.addAll(nodes.keySet());
    }
    NodeDesiredState.RuleMapCache ruleMaps = new NodeDesiredState.RuleMapCache();
    for (String node : rendered) {
      Collection<Endpoint> onNode = byNode.getOrDefault(node, List.of());
      NodeRevisions revisions = nodes.get(node);
      NodeDesiredState previous = revisions == null ? null : revisions.current().state();
      publish(node, NodeDesiredState.render(engine, node, onNode, cache, previous, ruleMaps));
    }
    if (cacheChanged) {
      // The caller vouches that the other nodes' endpoints did not change: only their IP cache did.
      for (NodeRevisions revisions : nodes.values()) {
        if (!rendered.contains(revisions.node())) {
          revisions.publish(revisions.current().state().withIpcache(cache));
        }
      }
    }
  }

  private void publish(String node, NodeDesiredState next) {
    NodeRevisions revisions = nodes.get(node);
    if (revisions == null) {
      nodes.putIfAbsent(node, new NodeRevisions(node, next, historyLimit));
      // an agent may have registered the node meanwhile: publish into whichever entry won
      revisions = nodes.get(node);
    }
    revisions.publish(next);
  }

  /** The node's revisions, created (with no endpoints and the current IP cache) if the node is new. */
  public NodeRevisions node(String node) {
    return nodes.computeIfAbsent(node, n -> new NodeRevisions(n, NodeDesiredState.empty(n, ipcache), historyLimit));
  }

  /** The node's revisions, or null if the node is not known. */
  public NodeRevisions find(String node) {
    return nodes.get(node);
  }

  public Set<String> nodes() {
    return Set.copyOf(nodes.keySet());
  }
}
