package io.hexgate.datapath.agent;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.contract.v1.StateUpdate;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * The node's desired state as the agent holds it: the operator's epoch and revision, the node's endpoints,
 * the cluster-wide IP cache (prefix → identity) and the ClusterIP services. {@code ipcachePods} holds the IP
 * cache entries that name a pod (namespace, name, labels), by prefix: only flows read them. {@code
 * ipcacheNodes} names the node whose Hubble peer address each such prefix is: only the peer service reads
 * them. Immutable; {@link #apply} makes the next one.
 */
public record AgentState(
    String epoch,
    long revision,
    Map<EndpointKey, EndpointState> endpoints,
    Map<String, Long> ipcache,
    Map<ServiceFrontend, ServiceState> services,
    Map<String, IpcacheEntry> ipcachePods,
    Map<String, String> ipcacheNodes) {
  public static final AgentState EMPTY = new AgentState("", 0, Map.of(), Map.of(), Map.of());

  public AgentState {
    endpoints = Collections.unmodifiableMap(endpoints);
    ipcache = Collections.unmodifiableMap(ipcache);
    services = Collections.unmodifiableMap(services);
    ipcachePods = Collections.unmodifiableMap(ipcachePods);
    ipcacheNodes = Collections.unmodifiableMap(ipcacheNodes);
  }

  /** A state whose IP cache names no pods nor nodes. */
  public AgentState(String epoch, long revision, Map<EndpointKey, EndpointState> endpoints, Map<String, Long> ipcache,
      Map<ServiceFrontend, ServiceState> services) {
    this(epoch, revision, endpoints, ipcache, services, Map.of(), Map.of());
  }

  /** Whether {@code u} can be applied on top of this state: a snapshot always, a delta only on its base. */
  public boolean accepts(StateUpdate u) {
    return u.getSnapshot() || (u.getEpoch().equals(epoch) && u.getBaseRevision() == revision);
  }

  /** The state after {@code u}; the IP cache and services are copied only when the update touches them. */
  public AgentState apply(StateUpdate u) {
    if (!accepts(u)) {
      throw new IllegalArgumentException(
          "update " + u.getRevision() + " builds on " + u.getBaseRevision() + "@" + u.getEpoch()
              + ", the agent holds " + revision + "@" + epoch);
    }
    Map<EndpointKey, EndpointState> eps = u.getSnapshot() ? new HashMap<>() : new HashMap<>(endpoints);
    u.getRemoveEndpointsList().forEach(eps::remove);
    u.getUpsertEndpointsList().forEach(e -> eps.put(e.getKey(), e));
    Map<String, Long> cache = ipcache;
    Map<String, IpcacheEntry> pods = ipcachePods;
    Map<String, String> nodes = ipcacheNodes;
    if (u.getSnapshot() || u.getUpsertIpcacheCount() > 0 || u.getRemoveIpcacheCount() > 0) {
      Map<String, Long> next = u.getSnapshot() ? new HashMap<>() : new HashMap<>(ipcache);
      Map<String, IpcacheEntry> nextPods = u.getSnapshot() ? new HashMap<>() : new HashMap<>(ipcachePods);
      Map<String, String> nextNodes = u.getSnapshot() ? new HashMap<>() : new HashMap<>(ipcacheNodes);
      u.getRemoveIpcacheList().forEach(next::remove);
      u.getRemoveIpcacheList().forEach(nextPods::remove);
      u.getRemoveIpcacheList().forEach(nextNodes::remove);
      for (IpcacheEntry e : u.getUpsertIpcacheList()) {
        next.put(e.getPrefix(), e.getIdentity());
        if (e.getPodName().isEmpty() && e.getLabelsCount() == 0) {
          nextPods.remove(e.getPrefix());
        } else {
          nextPods.put(e.getPrefix(), e);
        }
        if (e.getNodeName().isEmpty()) {
          nextNodes.remove(e.getPrefix());
        } else {
          nextNodes.put(e.getPrefix(), e.getNodeName());
        }
      }
      cache = next;
      pods = nextPods;
      nodes = nextNodes;
    }
    Map<ServiceFrontend, ServiceState> svcs = services;
    if (u.getSnapshot() || u.getUpsertServicesCount() > 0 || u.getRemoveServicesCount() > 0) {
      Map<ServiceFrontend, ServiceState> next = u.getSnapshot() ? new HashMap<>() : new HashMap<>(services);
      u.getRemoveServicesList().forEach(next::remove);
      u.getUpsertServicesList().forEach(s -> next.put(s.getFrontend(), s));
      svcs = next;
    }
    return new AgentState(u.getEpoch(), u.getRevision(), eps, cache, svcs, pods, nodes);
  }
}
