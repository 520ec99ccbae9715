package io.hexgate.operator.node;

import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicySnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import io.hexgate.operator.service.Services;

/**
 * Keeps every node's desired state, rendered from the policy engine, with a revision counter and a
 * bounded history per node. Rendering happens in {@link #changed}, on the engine's writer thread; agents'
 * streams read the published revisions from gRPC threads.
 *
 * <p>A change naming no node (a policy change) re-renders only the nodes whose inputs changed: an
 * endpoint added, removed or changed, an endpoint's identity, or that identity's policy version (see
 * {@link PolicySnapshot#policyVersion}); any change of an endpoint with named ports re-renders every node.
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
  private volatile Services services = Services.EMPTY;
  // written and read on the engine's writer thread only
  private final Map<String, Map<Endpoint.Key, Input>> inputs = new HashMap<>();
  private long renderedNamedPorts = -1;
  private volatile long renders;
  private volatile boolean fed = true;
  private final List<RenderedStateListener> listeners = new CopyOnWriteArrayList<>();

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

  /**
   * Sends agents nothing until {@link #fed()}: the engine behind this hub is still being filled (informers
   * syncing, a new leader's first reconciles), and a state rendered from it would leave out endpoints and
   * entries that exist; an agent given such a snapshot would stop enforcing them. Streams connect and wait.
   */
  public void holdUntilFed() {
    fed = false;
  }

  /** The engine holds everything there is: agents get their state (snapshots marked complete). */
  public void fed() {
    fed = true;
    for (NodeRevisions r : nodes.values()) {
      r.wake();
    }
  }

  /** Whether agents are served. */
  public boolean serving() {
    return fed;
  }

  /**
   * What a node's rendering depends on, per endpoint: the endpoint itself (IP, labels, own named ports),
   * its identity and that identity's policy version. Equal inputs (and no named-port change anywhere)
   * render an equal state, so the node is skipped.
   */
  private record Input(Endpoint endpoint, long identity, long policyVersion) {}

  /**
   * New service frontends for every node (the same on all): each known node gets a revision with its
   * endpoints unchanged. Any thread; serialised with {@link #changed}.
   */
  public synchronized void services(Services next) {
    if (next.equals(services)) {
      return;
    }
    services = next;
    for (NodeRevisions revisions : nodes.values()) {
      revisions.publish(revisions.current().state().withServices(next));
    }
  }

  /**
   * New node addresses and each node's Hubble peer address (see {@link NodeAddresses}): each known node
   * gets a revision with its endpoints unchanged and the IP cache seen from that node. Any thread;
   * serialised with {@link #changed}.
   */
  public synchronized void nodeAddresses(Map<String, Set<String>> next, Map<String, String> peerAddresses) {
    IpCache cache = ipcache.withNodes(next, peerAddresses);
    if (cache == ipcache) {
      return;
    }
    ipcache = cache;
    for (NodeRevisions revisions : nodes.values()) {
      revisions.publish(revisions.current().state().withIpcache(cache));
    }
  }

  /** Tells {@code listener} after the node states of every snapshot are published. */
  public void addListener(RenderedStateListener listener) {
    listeners.add(listener);
  }

  @Override
  public void changed(PolicySnapshot engine, Set<String> changedNodes) {
    render(engine, changedNodes);
    for (RenderedStateListener l : listeners) {
      l.rendered(engine);
    }
  }

  private synchronized void render(PolicySnapshot engine, Set<String> changedNodes) {
    IpCache nextCache = IpCache.of(engine).withNodesOf(ipcache);
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
    Set<String> candidates = new HashSet<>(byNode.keySet());
    candidates.addAll(changedNodes);
    if (all) {
      candidates.addAll(nodes.keySet());
    }
    boolean namedPortsChanged = engine.namedPortsVersion() != renderedNamedPorts;
    renderedNamedPorts = engine.namedPortsVersion();
    NodeDesiredState.RuleMapCache ruleMaps = new NodeDesiredState.RuleMapCache();
    Set<String> rendered = new HashSet<>();
    for (String node : candidates) {
      Collection<Endpoint> onNode = byNode.getOrDefault(node, List.of());
      Map<Endpoint.Key, Input> in = inputs(engine, onNode);
      NodeRevisions revisions = nodes.get(node);
      if (revisions != null && !namedPortsChanged && in.equals(inputs.get(node))) {
        continue; // nothing this node's state depends on changed: no render, no revision
      }
      inputs.put(node, in);
      rendered.add(node);
      NodeDesiredState previous = revisions == null ? null : revisions.current().state();
      publish(node, NodeDesiredState.render(engine, node, onNode, cache, services, previous, ruleMaps));
    }
    renders += rendered.size();
    if (cacheChanged) {
      // The other nodes' endpoints did not change (the caller vouches for unnamed nodes, the inputs for
      // skipped ones): only their IP cache did.
      for (NodeRevisions revisions : nodes.values()) {
        if (!rendered.contains(revisions.node())) {
          revisions.publish(revisions.current().state().withIpcache(cache));
        }
      }
    }
  }

  private static Map<Endpoint.Key, Input> inputs(PolicySnapshot engine, Collection<Endpoint> onNode) {
    Map<Endpoint.Key, Input> out = new HashMap<>();
    for (Endpoint e : onNode) {
      io.hexgate.operator.identity.Identity id = engine.identityOf(e.key());
      long identity = id == null ? -1 : id.id();
      out.put(e.key(), new Input(e, identity, id == null ? 0 : engine.policyVersion(identity)));
    }
    return out;
  }

  /** Node states rendered so far (skipped nodes not counted); for tests and benchmarks. */
  public long renders() {
    return renders;
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
    return nodes.computeIfAbsent(node, n -> new NodeRevisions(n, NodeDesiredState.empty(n, ipcache, services), historyLimit));
  }

  /** The node's revisions, or null if the node is not known. */
  public NodeRevisions find(String node) {
    return nodes.get(node);
  }

  public Set<String> nodes() {
    return Set.copyOf(nodes.keySet());
  }
}
