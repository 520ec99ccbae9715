package io.hexgate.datapath.maps;

import io.hexgate.datapath.abi.Directions;
import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.abi.EndpointValue;
import io.hexgate.datapath.abi.IpcacheHostKey;
import io.hexgate.datapath.abi.IpcacheKey;
import io.hexgate.datapath.abi.IpcacheValue;
import io.hexgate.datapath.abi.PolicyKey;
import io.hexgate.datapath.abi.PolicyValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds {@link MapContents} for one desired state: the IP cache, the endpoints with their folded policy
 * entries and the rule ids those name, keeping ids stable across revisions (see {@link MapContents#build});
 * services are {@link ServiceEntries}'.
 */
final class MapContentsBuilder {
  private final MapContents previous;
  private final Map<IpcacheHostKey, IpcacheValue> ipcacheHosts = new HashMap<>();
  private final Map<IpcacheKey, IpcacheValue> ipcache = new HashMap<>();
  private final Map<io.hexgate.datapath.abi.EndpointKey, EndpointValue> endpoints = new HashMap<>();
  private final Map<PolicyKey, PolicyValue> policy = new HashMap<>();
  private final Map<List<PolicyRef>, Integer> ruleIds = new HashMap<>();
  private final Map<Integer, List<PolicyRef>> rules = new HashMap<>();
  private final Map<Integer, EndpointKey> endpointNames = new HashMap<>();
  private final Map<EndpointKey, String> errors = new LinkedHashMap<>();
  private final Map<List<PolicyRef>, Integer> previousRuleIds = new HashMap<>();
  private int nextRuleId;

  MapContentsBuilder(MapContents previous) {
    this.previous = previous;
    previous.rules().forEach((id, refs) -> previousRuleIds.put(refs, id));
    int next = previous.nextRuleId();
    for (PolicyValue v : previous.policy().values()) {
      next = Math.max(next, v.ruleId() + 1);
    }
    this.nextRuleId = Math.max(1, next);
  }

  MapContents build(AgentState state) {
    buildIpcache(state);
    buildEndpoints(state);
    ServiceEntries services = ServiceEntries.build(state, previous);
    return new MapContents(ipcacheHosts, ipcache, endpoints, policy, services.services(), services.backends(), rules, endpointNames,
        services.names(), errors,
        nextRuleId);
  }

  private void buildIpcache(AgentState state) {
    for (Map.Entry<String, Long> e : state.ipcache().entrySet()) {
      if (Ipv4.isIpv6(e.getKey())) {
        continue; // the datapath is IPv4 only
      }
      Ipv4.Cidr p;
      try {
        p = Ipv4.parsePrefix(e.getKey());
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("ipcache entry prefix: " + ex.getMessage(), ex);
      }
      IpcacheValue v = new IpcacheValue(u32("ipcache entry " + e.getKey() + " identity", e.getValue()));
      if (p.prefixLength() == 32) {
        ipcacheHosts.put(new IpcacheHostKey(p.network()), v);
      } else {
        ipcache.put(new IpcacheKey(p.prefixLength(), p.network()), v);
      }
    }
  }

  private int ruleId(RuleMapEntry e) {
    List<PolicyRef> refs = e.getDerivedFromList();
    Integer id = ruleIds.get(refs);
    if (id == null) {
      id = previousRuleIds.get(refs);
      if (id == null) {
        id = nextRuleId++;
      }
      ruleIds.put(refs, id);
      rules.put(id, refs);
    }
    return id;
  }

  private void buildEndpoints(AgentState state) {
    Map<Integer, Integer> previousIdByAddr = new HashMap<>();
    previous.endpoints().forEach((k, v) -> previousIdByAddr.put(k.addr(), v.id()));
    Map<EndpointKey, Integer> previousIdByName = new HashMap<>();
    previous.endpointNames().forEach((id, key) -> previousIdByName.put(key, id));

    List<EndpointState> sorted = new ArrayList<>(state.endpoints().values());
    sorted.sort(Comparator.comparing((EndpointState s) -> s.getKey().getNamespace())
        .thenComparing(s -> s.getKey().getName()));
    // Parse addresses first so that ids of kept endpoints are known before new ones get theirs.
    Map<EndpointState, Integer> addrs = new LinkedHashMap<>();
    Set<Integer> seen = new HashSet<>();
    for (EndpointState s : sorted) {
      String where = "endpoint " + s.getKey().getNamespace() + "/" + s.getKey().getName();
      try {
        if (Ipv4.isIpv6(s.getIp())) {
          throw new IllegalArgumentException("ip '" + s.getIp() + "' is IPv6; the datapath is IPv4 only");
        }
        int addr;
        try {
          addr = Ipv4.parse(s.getIp());
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException("ip: " + ex.getMessage(), ex);
        }
        if (!seen.add(addr)) {
          throw new IllegalArgumentException("ip " + s.getIp() + " is also another endpoint's");
        }
        addrs.put(s, addr);
      } catch (IllegalArgumentException ex) {
        fail(s.getKey(), where + ": " + ex.getMessage(), previousIdByName);
      }
    }
    Set<Integer> used = new HashSet<>();
    for (int addr : addrs.values()) {
      Integer id = previousIdByAddr.get(addr);
      if (id != null) {
        used.add(id);
      }
    }
    used.addAll(endpointNames.keySet()); // failed endpoints keeping their previous entries
    int candidate = 1;
    for (Map.Entry<EndpointState, Integer> e : addrs.entrySet()) {
      EndpointState s = e.getKey();
      int addr = e.getValue();
      Integer id = previousIdByAddr.get(addr);
      if (id == null || endpointNames.containsKey(id)) {
        while (used.contains(candidate) || previous.endpointNames().containsKey(candidate)) {
          candidate++;
        }
        id = candidate;
        used.add(id);
      }
      String where = "endpoint " + s.getKey().getNamespace() + "/" + s.getKey().getName();
      try {
        Map<PolicyKey, PolicyValue> own = new HashMap<>();
        try {
          PolicyFolding.fold(id, Directions.DIR_INGRESS, s.getIngress(), this::ruleId, own);
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException("ingress " + ex.getMessage(), ex);
        }
        try {
          PolicyFolding.fold(id, Directions.DIR_EGRESS, s.getEgress(), this::ruleId, own);
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException("egress " + ex.getMessage(), ex);
        }
        int identity = u32("identity id", s.getIdentity().getId());
        int flags = (s.getIngress().getEnforcing() ? EndpointValue.EP_INGRESS_ENFORCING : 0)
            | (s.getEgress().getEnforcing() ? EndpointValue.EP_EGRESS_ENFORCING : 0);
        policy.putAll(own);
        endpoints.put(new io.hexgate.datapath.abi.EndpointKey(addr), new EndpointValue(id, identity, flags, 0));
        endpointNames.put(id, s.getKey());
      } catch (IllegalArgumentException ex) {
        fail(s.getKey(), where + ": " + ex.getMessage(), previousIdByName);
      }
    }
  }

  /** Records the error; an endpoint enforced before keeps its previous entries, with their rule ids. */
  private void fail(EndpointKey key, String error, Map<EndpointKey, Integer> previousIdByName) {
    errors.put(key, error);
    Integer id = previousIdByName.get(key);
    if (id == null) {
      return;
    }
    previous.endpoints().forEach((k, v) -> {
      if (v.id() == id) {
        endpoints.put(k, v);
      }
    });
    previous.policy().forEach((k, v) -> {
      if (k.endpoint() == id) {
        policy.put(k, v);
        List<PolicyRef> refs = previous.rules().get(v.ruleId());
        if (refs != null && !ruleIds.containsKey(refs)) {
          ruleIds.put(refs, v.ruleId());
          rules.put(v.ruleId(), refs);
        }
      }
    });
    endpointNames.put(id, key);
  }

  private static int u32(String what, long v) {
    if (v < 0 || v > 0xffffffffL) {
      throw new IllegalArgumentException(what + " " + v + " exceeds 32 bits");
    }
    return (int) v;
  }
}
