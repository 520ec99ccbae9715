package io.hexgate.operator.node;

import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.operator.service.Services;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.policy.Direction;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.IdentityPolicy;
import io.hexgate.operator.policy.PolicySnapshot;
import io.hexgate.operator.policy.PolicyRef;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one node should enforce: the endpoints scheduled on it with their identities and rule maps, and
 * the cluster-wide IP cache and service frontends. Immutable; the hub keeps one per revision and sends the difference between
 * the revision an agent has and the latest one.
 */
public record NodeDesiredState(
    String node, Map<Endpoint.Key, NodeEndpoint> endpoints, IpCache ipcache, Services services) {

  private static final Class<?> FROZEN = java.util.Collections.unmodifiableSortedMap(new TreeMap<>()).getClass();

  public NodeDesiredState {
    // states derived from one another (withIpcache) share the frozen map instead of copying it
    if (endpoints.getClass() != FROZEN) {
      endpoints = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(endpoints));
    }
  }

  public static NodeDesiredState empty(String node, IpCache ipcache, Services services) {
    return new NodeDesiredState(node, Map.of(), ipcache, services);
  }

  /**
   * Renders the given endpoints (those the engine places on {@code node}); {@code previous} lends its
   * instances for endpoints that did not change.
   */
  public static NodeDesiredState render(
      PolicySnapshot engine,
      String node,
      Collection<Endpoint> onNode,
      IpCache ipcache,
      Services services,
      NodeDesiredState previous) {
    return render(engine, node, onNode, ipcache, services, previous, new RuleMapCache());
  }

  /**
   * Encoded rule maps shared by the endpoints of one render pass. An egress map depends only on the
   * identity (named ports resolve against the remote pods); an ingress map also on the endpoint's own
   * named ports. Valid for one snapshot, i.e. within one {@code changed} call.
   */
  static final class RuleMapCache {
    private record Key(long identity, Direction direction, List<Endpoint.NamedPort> ownPorts) {}

    private final Map<Key, io.hexgate.contract.v1.RuleMap> maps = new HashMap<>();
    private final Map<Long, io.hexgate.contract.v1.Identity> identities = new HashMap<>();
    private final Map<Long, Set<PolicyRef>> policies = new HashMap<>();

    io.hexgate.contract.v1.Identity identity(Identity id) {
      return identities.computeIfAbsent(id.id(), x -> ContractMessages.identity(id));
    }

    Set<PolicyRef> policies(PolicySnapshot engine, long identity) {
      return policies.computeIfAbsent(
          identity,
          x -> {
            Set<PolicyRef> out = new HashSet<>();
            IdentityPolicy ip = engine.policy(identity);
            if (ip != null) {
              ip.rules().forEach(r -> out.add(r.origin()));
            }
            return Set.copyOf(out);
          });
    }

    io.hexgate.contract.v1.RuleMap get(PolicySnapshot engine, Endpoint e, long identity, Direction d) {
      Key k = new Key(identity, d, d == Direction.INGRESS ? e.namedPorts() : List.of());
      return maps.computeIfAbsent(k, x -> ContractMessages.ruleMap(engine.ruleMap(e.key(), d), defaultDenyBy(engine, identity, d)));
    }

    /** The policies whose rules put the identity's endpoints in default deny for {@code d}. */
    private static List<PolicyRef> defaultDenyBy(PolicySnapshot engine, long identity, Direction d) {
      IdentityPolicy ip = engine.policy(identity);
      if (ip == null) {
        return List.of();
      }
      return ip.rules().stream().filter(r -> r.defaultDeny(d)).map(r -> r.origin()).distinct().sorted().toList();
    }
  }

  static NodeDesiredState render(
      PolicySnapshot engine,
      String node,
      Collection<Endpoint> onNode,
      IpCache ipcache,
      Services services,
      NodeDesiredState previous,
      RuleMapCache ruleMaps) {
    Map<Endpoint.Key, NodeEndpoint> out = new TreeMap<>();
    for (Endpoint e : onNode) {
      Identity id = engine.identityOf(e.key());
      if (id == null) {
        continue;
      }
      EndpointState.Builder state =
          EndpointState.newBuilder()
              .setKey(ContractMessages.key(e.key()))
              .setIp(e.ip() == null ? "" : e.ip())
              .setIdentity(ruleMaps.identity(id))
              .setIngress(ruleMaps.get(engine, e, id.id(), Direction.INGRESS))
              .setEgress(ruleMaps.get(engine, e, id.id(), Direction.EGRESS));
      if (e.workload() != null) {
        state.setWorkload(ContractMessages.workload(e.workload()));
      }
      Set<PolicyRef> policies = ruleMaps.policies(engine, id.id());
      NodeEndpoint old = previous == null ? null : previous.endpoints.get(e.key());
      NodeEndpoint fresh = new NodeEndpoint(e.key(), state.build(), policies);
      out.put(e.key(), fresh.equals(old) ? old : fresh);
    }
    return new NodeDesiredState(node, out, ipcache, services);
  }

  /** The same endpoints with another IP cache. */
  public NodeDesiredState withIpcache(IpCache next) {
    return new NodeDesiredState(node, endpoints, next, services);
  }

  /** The same endpoints with other service frontends. */
  public NodeDesiredState withServices(Services next) {
    return new NodeDesiredState(node, endpoints, ipcache, next);
  }

  /** Every policy selecting an endpoint of this node. */
  public Set<PolicyRef> policies() {
    Set<PolicyRef> out = new HashSet<>();
    endpoints.values().forEach(e -> out.addAll(e.policies()));
    return out;
  }

  /**
   * The whole state as one message.
   *
   * @param complete whether the engine this state was rendered from held every object there is (the
   *     agent may then remove what the snapshot leaves out)
   */
  public StateUpdate snapshot(String epoch, long revision, boolean complete) {
    StateUpdate.Builder b =
        StateUpdate.newBuilder().setEpoch(epoch).setRevision(revision).setSnapshot(true).setComplete(complete);
    endpoints.values().forEach(e -> b.addUpsertEndpoints(e.state()));
    ipcache.entriesFor(node).entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> b.addUpsertIpcache(ipcache.entry(e.getKey(), e.getValue())));
    b.addAllUpsertServices(services.byFrontend().values());
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
      Map<String, Long> now = ipcache.entriesFor(node);
      Map<String, Long> then = base.ipcache.entriesFor(node);
      new TreeMap<>(now)
          .forEach(
              (prefix, id) -> {
                if (!id.equals(then.get(prefix)) || ipcache.namingChanged(prefix, base.ipcache)) {
                  b.addUpsertIpcache(ipcache.entry(prefix, id));
                }
              });
      new TreeMap<>(then).keySet().stream().filter(p -> !now.containsKey(p)).forEach(b::addRemoveIpcache);
    }
    if (services != base.services) {
      Map<String, ServiceState> then = base.services.byFrontend();
      services.byFrontend().forEach((k, s) -> {
        if (!s.equals(then.get(k))) {
          b.addUpsertServices(s);
        }
      });
      then.forEach((k, s) -> {
        if (!services.byFrontend().containsKey(k)) {
          b.addRemoveServices(s.getFrontend());
        }
      });
    }
    return b.build();
  }

  /**
   * Same endpoints (by content) and IP cache: sending would change nothing. IP caches compare by
   * instance: the hub replaces its one instance only when the content changed, and comparing 10,000
   * entries for each of 200 nodes on every pod change would cost more than the rest of the render.
   */
  boolean sameAs(NodeDesiredState other) {
    if (other == null
        || ipcache != other.ipcache
        || services != other.services
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
