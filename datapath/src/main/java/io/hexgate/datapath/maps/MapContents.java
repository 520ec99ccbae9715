package io.hexgate.datapath.maps;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.ServiceBackend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.datapath.abi.BackendKey;
import io.hexgate.datapath.abi.BackendValue;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.EndpointValue;
import io.hexgate.datapath.abi.IpcacheHostKey;
import io.hexgate.datapath.abi.IpcacheKey;
import io.hexgate.datapath.abi.IpcacheValue;
import io.hexgate.datapath.abi.PolicyKey;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.abi.ServiceKey;
import io.hexgate.datapath.abi.ServiceValue;
import io.hexgate.datapath.agent.AgentState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * The complete contents of the datapath's configuration maps for one desired state, as Java values in the
 * layouts of the package {@code io.hexgate.datapath.abi}, plus what the agent needs to read events back (rule id → policies, endpoint id
 * → endpoint, service id → service). Built by {@link #build}; written to the kernel by {@link MapWriter} and
 * read by the Java twin. Immutable.
 */
public final class MapContents {
  public static final MapContents EMPTY = new MapContents(Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(),
      Map.of(), Map.of(), Map.of(), Map.of(), 1);

  private final Map<IpcacheHostKey, IpcacheValue> ipcacheHosts;
  private final Map<IpcacheKey, IpcacheValue> ipcache;
  private final Map<io.hexgate.datapath.abi.EndpointKey, EndpointValue> endpoints;
  private final Map<PolicyKey, PolicyValue> policy;
  private final Map<ServiceKey, ServiceValue> services;
  private final Map<BackendKey, BackendValue> backends;
  private final Map<Integer, List<PolicyRef>> rules;
  private final Map<Integer, EndpointKey> endpointNames;
  private final Map<Integer, String> serviceNames;
  private final Map<EndpointKey, String> endpointErrors;
  private final int nextRuleId;

  public MapContents(
      Map<IpcacheHostKey, IpcacheValue> ipcacheHosts,
      Map<IpcacheKey, IpcacheValue> ipcache,
      Map<io.hexgate.datapath.abi.EndpointKey, EndpointValue> endpoints,
      Map<PolicyKey, PolicyValue> policy,
      Map<ServiceKey, ServiceValue> services,
      Map<BackendKey, BackendValue> backends,
      Map<Integer, List<PolicyRef>> rules,
      Map<Integer, EndpointKey> endpointNames,
      Map<Integer, String> serviceNames,
      Map<EndpointKey, String> endpointErrors,
      int nextRuleId) {
    this.ipcacheHosts = Collections.unmodifiableMap(ipcacheHosts);
    this.ipcache = Collections.unmodifiableMap(ipcache);
    this.endpoints = Collections.unmodifiableMap(endpoints);
    this.policy = Collections.unmodifiableMap(policy);
    this.services = Collections.unmodifiableMap(services);
    this.backends = Collections.unmodifiableMap(backends);
    this.rules = Collections.unmodifiableMap(rules);
    this.endpointNames = Collections.unmodifiableMap(endpointNames);
    this.serviceNames = Collections.unmodifiableMap(serviceNames);
    this.endpointErrors = Collections.unmodifiableMap(endpointErrors);
    this.nextRuleId = nextRuleId;
  }

  /** hg_ipcache_host: the IP cache's /32 entries. */
  public Map<IpcacheHostKey, IpcacheValue> ipcacheHosts() {
    return ipcacheHosts;
  }

  /** hg_ipcache: the IP cache's prefixes shorter than /32. */
  public Map<IpcacheKey, IpcacheValue> ipcache() {
    return ipcache;
  }

  public Map<io.hexgate.datapath.abi.EndpointKey, EndpointValue> endpoints() {
    return endpoints;
  }

  public Map<PolicyKey, PolicyValue> policy() {
    return policy;
  }

  public Map<ServiceKey, ServiceValue> services() {
    return services;
  }

  public Map<BackendKey, BackendValue> backends() {
    return backends;
  }

  /** Rule id (hg_policy values, CT entries, events) → the policies of the winning rule map entry. */
  public Map<Integer, List<PolicyRef>> rules() {
    return rules;
  }

  /** Endpoint id → endpoint. */
  public Map<Integer, EndpointKey> endpointNames() {
    return endpointNames;
  }

  /** Service id → "namespace/name" and ":port-name" when the port has one. */
  public Map<Integer, String> serviceNames() {
    return serviceNames;
  }

  /**
   * Endpoints this state could not enforce, with the reason (for the Ack's EndpointResult). An endpoint that
   * was enforced before keeps its previous entries; a new one has none (its pod is not reachable).
   */
  public Map<EndpointKey, String> endpointErrors() {
    return endpointErrors;
  }

  /** The first rule id never handed out: ids are not reused, so late events never name the wrong policies. */
  public int nextRuleId() {
    return nextRuleId;
  }

  /**
   * These contents with each endpoint's host-side interface index ({@link EndpointValue#ifindex()}) from
   * {@code ifindexOf}: the index in the node's network namespace, 0 when unknown (from_pod then drops the
   * endpoint's packets as spoofed: fail closed). {@link #build} leaves them 0.
   */
  public MapContents withInterfaces(ToIntFunction<EndpointKey> ifindexOf) {
    Map<io.hexgate.datapath.abi.EndpointKey, EndpointValue> eps = new HashMap<>();
    endpoints.forEach((k, v) -> {
      EndpointKey name = endpointNames.get(v.id());
      eps.put(k, v.withIfindex(name == null ? 0 : ifindexOf.applyAsInt(name)));
    });
    return new MapContents(ipcacheHosts, ipcache, eps, policy, services, backends, rules, endpointNames, serviceNames,
        endpointErrors, nextRuleId);
  }

  /**
   * The maps for {@code state}. {@code previous} (the contents in force, or {@link #EMPTY}, or what
   * {@link MapWriter#readKernel()} found pinned) keeps ids stable: an endpoint keeps its id while its address
   * stays, a frontend its service id, a list of policies its rule id. Throws IllegalArgumentException naming
   * the object and field for input the whole revision cannot be applied with (ipcache prefixes, services).
   */
  public static MapContents build(AgentState state, MapContents previous) {
    return new Builder(previous).build(state);
  }

  private static final class Builder {
    private final MapContents previous;
    private final Map<IpcacheHostKey, IpcacheValue> ipcacheHosts = new HashMap<>();
    private final Map<IpcacheKey, IpcacheValue> ipcache = new HashMap<>();
    private final Map<io.hexgate.datapath.abi.EndpointKey, EndpointValue> endpoints = new HashMap<>();
    private final Map<PolicyKey, PolicyValue> policy = new HashMap<>();
    private final Map<ServiceKey, ServiceValue> services = new HashMap<>();
    private final Map<BackendKey, BackendValue> backends = new HashMap<>();
    private final Map<List<PolicyRef>, Integer> ruleIds = new HashMap<>();
    private final Map<Integer, List<PolicyRef>> rules = new HashMap<>();
    private final Map<Integer, EndpointKey> endpointNames = new HashMap<>();
    private final Map<Integer, String> serviceNames = new HashMap<>();
    private final Map<EndpointKey, String> errors = new LinkedHashMap<>();
    private final Map<List<PolicyRef>, Integer> previousRuleIds = new HashMap<>();
    private int nextRuleId;

    Builder(MapContents previous) {
      this.previous = previous;
      previous.rules.forEach((id, refs) -> previousRuleIds.put(refs, id));
      int next = previous.nextRuleId;
      for (PolicyValue v : previous.policy.values()) {
        next = Math.max(next, v.ruleId() + 1);
      }
      this.nextRuleId = Math.max(1, next);
    }

    MapContents build(AgentState state) {
      buildIpcache(state);
      buildEndpoints(state);
      buildServices(state);
      return new MapContents(ipcacheHosts, ipcache, endpoints, policy, services, backends, rules, endpointNames, serviceNames, errors,
          nextRuleId);
    }

    private void buildIpcache(AgentState state) {
      for (Map.Entry<String, Long> e : state.ipcache().entrySet()) {
        if (Ipv4.isIpv6(e.getKey())) {
          continue; // the datapath is IPv4 only
        }
        int[] p;
        try {
          p = Ipv4.parsePrefix(e.getKey());
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException("ipcache entry prefix: " + ex.getMessage(), ex);
        }
        IpcacheValue v = new IpcacheValue(u32("ipcache entry " + e.getKey() + " identity", e.getValue()));
        if (p[1] == 32) {
          ipcacheHosts.put(new IpcacheHostKey(p[0]), v);
        } else {
          ipcache.put(new IpcacheKey(p[1], p[0]), v);
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
      previous.endpoints.forEach((k, v) -> previousIdByAddr.put(k.addr(), v.id()));
      Map<EndpointKey, Integer> previousIdByName = new HashMap<>();
      previous.endpointNames.forEach((id, key) -> previousIdByName.put(key, id));

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
          while (used.contains(candidate) || previous.endpointNames.containsKey(candidate)) {
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
          int flags = (s.getIngress().getEnforcing() ? io.hexgate.datapath.abi.EndpointValue.EP_INGRESS_ENFORCING : 0)
              | (s.getEgress().getEnforcing() ? io.hexgate.datapath.abi.EndpointValue.EP_EGRESS_ENFORCING : 0);
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
      previous.endpoints.forEach((k, v) -> {
        if (v.id() == id) {
          endpoints.put(k, v);
        }
      });
      previous.policy.forEach((k, v) -> {
        if (k.endpoint() == id) {
          policy.put(k, v);
          List<PolicyRef> refs = previous.rules.get(v.ruleId());
          if (refs != null && !ruleIds.containsKey(refs)) {
            ruleIds.put(refs, v.ruleId());
            rules.put(v.ruleId(), refs);
          }
        }
      });
      endpointNames.put(id, key);
    }

    private void buildServices(AgentState state) {
      Map<ServiceKey, Integer> previousIds = new HashMap<>();
      previous.services.forEach((k, v) -> previousIds.put(k, v.serviceId()));
      List<ServiceState> sorted = new ArrayList<>(state.services().values());
      sorted.sort(Comparator.comparing((ServiceState s) -> s.getFrontend().getIp())
          .thenComparingInt(s -> s.getFrontend().getPort())
          .thenComparingInt(s -> s.getFrontend().getProtocolValue()));
      Map<ServiceState, ServiceKey> keys = new LinkedHashMap<>();
      Set<Integer> used = new HashSet<>();
      for (ServiceState s : sorted) {
        String where = "service " + s.getService() + " frontend " + s.getFrontend().getIp() + ":"
            + s.getFrontend().getPort();
        Protocol proto = s.getFrontend().getProtocol();
        if (Ipv4.isIpv6(s.getFrontend().getIp())) {
          continue; // the datapath is IPv4 only
        }
        if (proto != Protocol.PROTOCOL_TCP && proto != Protocol.PROTOCOL_UDP) {
          continue; // only TCP and UDP frontends are translated (SCTP would need a CRC32c rewrite)
        }
        if (s.getFrontend().getPort() > 65535) {
          throw new IllegalArgumentException(where + ": port is not within 0-65535");
        }
        ServiceKey key;
        try {
          key = new ServiceKey(Ipv4.parse(s.getFrontend().getIp()), s.getFrontend().getPort(), proto.getNumber());
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException(where + ": ip: " + ex.getMessage(), ex);
        }
        keys.put(s, key);
        Integer id = previousIds.get(key);
        if (id != null) {
          used.add(id);
        }
      }
      int candidate = 1;
      for (Map.Entry<ServiceState, ServiceKey> e : keys.entrySet()) {
        ServiceState s = e.getKey();
        Integer id = previousIds.get(e.getValue());
        if (id == null) {
          while (used.contains(candidate)) {
            candidate++;
          }
          id = candidate;
          used.add(id);
        }
        List<BackendValue> bs = new ArrayList<>();
        for (ServiceBackend b : s.getBackendsList()) {
          String where = "service " + s.getService() + " backend " + b.getIp() + ":" + b.getPort();
          if (Ipv4.isIpv6(b.getIp())) {
            continue;
          }
          if (b.getPort() == 0 || b.getPort() > 65535) {
            throw new IllegalArgumentException(where + ": port is not within 1-65535");
          }
          try {
            bs.add(new BackendValue(Ipv4.parse(b.getIp()), b.getPort()));
          } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(where + ": ip: " + ex.getMessage(), ex);
          }
        }
        bs = bs.stream().distinct()
            .sorted(Comparator.comparingInt((BackendValue b) -> b.addr()).thenComparingInt(BackendValue::port)).toList();
        for (int slot = 0; slot < bs.size(); slot++) {
          backends.put(new BackendKey(id, slot), bs.get(slot));
        }
        services.put(e.getValue(), new ServiceValue(bs.size(), id));
        serviceNames.put(id, s.getService() + (s.getPortName().isEmpty() ? "" : ":" + s.getPortName()));
      }
    }

    private static int u32(String what, long v) {
      if (v < 0 || v > 0xffffffffL) {
        throw new IllegalArgumentException(what + " " + v + " exceeds 32 bits");
      }
      return (int) v;
    }
  }
}
