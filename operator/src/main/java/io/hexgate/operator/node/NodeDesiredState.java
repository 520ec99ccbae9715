package io.hexgate.operator.node;

import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.policy.Direction;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one node should enforce: the endpoints scheduled on it with their identities and rule maps, and
 * the cluster-wide IP cache. Immutable; the hub keeps one per revision and sends the difference between
 * the revision an agent has and the latest one.
 */
public record NodeDesiredState(String node, Map<Endpoint.Key, NodeEndpoint> endpoints, IpCache ipcache) {

  public NodeDesiredState {
    endpoints = java.util.Collections.unmodifiableMap(new TreeMap<>(endpoints));
  }

  public static NodeDesiredState empty(String node, IpCache ipcache) {
    return new NodeDesiredState(node, Map.of(), ipcache);
  }

  /**
   * Renders the given endpoints (those the engine places on {@code node}); {@code previous} lends its
   * instances for endpoints that did not change. Call it on the engine's writer thread.
   */
  public static NodeDesiredState render(
      PolicyEngine engine, String node, Collection<Endpoint> onNode, IpCache ipcache, NodeDesiredState previous) {
    Map<Endpoint.Key, NodeEndpoint> out = new TreeMap<>();
    for (Endpoint e : onNode) {
      Identity id = engine.identityOf(e.key());
      if (id == null) {
        continue;
      }
      EndpointState state =
          EndpointState.newBuilder()
              .setKey(ContractMessages.key(e.key()))
              .setIp(e.ip() == null ? "" : e.ip())
              .setIdentity(ContractMessages.identity(id))
              .setIngress(ContractMessages.ruleMap(engine.ruleMap(e.key(), Direction.INGRESS)))
              .setEgress(ContractMessages.ruleMap(engine.ruleMap(e.key(), Direction.EGRESS)))
              .build();
      Set<PolicyRef> policies = new HashSet<>();
      PolicyEngine.IdentityPolicy ip = engine.policy(id.id());
      if (ip != null) {
        ip.rules().forEach(r -> policies.add(r.origin()));
      }
      NodeEndpoint old = previous == null ? null : previous.endpoints.get(e.key());
      NodeEndpoint fresh = new NodeEndpoint(e.key(), state, policies);
      out.put(e.key(), fresh.equals(old) ? old : fresh);
    }
    return new NodeDesiredState(node, out, ipcache);
  }

  /** The same endpoints with another IP cache. */
  public NodeDesiredState withIpcache(IpCache next) {
    return new NodeDesiredState(node, endpoints, next);
  }

  /** Every policy selecting an endpoint of this node. */
  public Set<PolicyRef> policies() {
    Set<PolicyRef> out = new HashSet<>();
    endpoints.values().forEach(e -> out.addAll(e.policies()));
    return out;
  }

  /** The whole state as one message. */
  public StateUpdate snapshot(String epoch, long revision) {
    StateUpdate.Builder b = StateUpdate.newBuilder().setEpoch(epoch).setRevision(revision).setSnapshot(true);
    endpoints.values().forEach(e -> b.addUpsertEndpoints(e.state()));
    ipcache.entries().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> b.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(e.getKey()).setIdentity(e.getValue())));
    return b.build();
  }

  /** What turns {@code base} (at {@code baseRevision}) into this state (at {@code revision}). */
  public StateUpdate delta(NodeDesiredState base, String epoch, long baseRevision, long revision) {
    StateUpdate.Builder b =
        StateUpdate.newBuilder().setEpoch(epoch).setRevision(revision).setBaseRevision(baseRevision);
    for (NodeEndpoint e : endpoints.values()) {
      NodeEndpoint old = base.endpoints.get(e.key());
      // Unchanged endpoints are usually the same instance; equals covers the rest.
      if (old != e && (old == null || !old.state().equals(e.state()))) {
        b.addUpsertEndpoints(e.state());
      }
    }
    for (Endpoint.Key k : base.endpoints.keySet()) {
      if (!endpoints.containsKey(k)) {
        b.addRemoveEndpoints(ContractMessages.key(k));
      }
    }
    if (ipcache != base.ipcache) {
      Map<String, Long> now = ipcache.entries();
      Map<String, Long> then = base.ipcache.entries();
      new TreeMap<>(now)
          .forEach(
              (prefix, id) -> {
                if (!id.equals(then.get(prefix))) {
                  b.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(prefix).setIdentity(id));
                }
              });
      new TreeMap<>(then).keySet().stream().filter(p -> !now.containsKey(p)).forEach(b::addRemoveIpcache);
    }
    return b.build();
  }

  /** Same endpoints (by content) and IP cache: sending would change nothing. */
  boolean sameAs(NodeDesiredState other) {
    if (other == null
        || (ipcache != other.ipcache && !ipcache.equals(other.ipcache))
        || endpoints.size() != other.endpoints.size()) {
      return false;
    }
    for (NodeEndpoint e : endpoints.values()) {
      NodeEndpoint o = other.endpoints.get(e.key());
      if (o != e && !e.equals(o)) {
        return false;
      }
    }
    return true;
  }
}
