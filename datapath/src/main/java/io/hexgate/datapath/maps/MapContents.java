package io.hexgate.datapath.maps;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.abi.BackendKey;
import io.hexgate.datapath.abi.BackendValue;
import io.hexgate.datapath.abi.EndpointValue;
import io.hexgate.datapath.abi.IpcacheHostKey;
import io.hexgate.datapath.abi.IpcacheKey;
import io.hexgate.datapath.abi.IpcacheValue;
import io.hexgate.datapath.abi.PolicyKey;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.abi.ServiceKey;
import io.hexgate.datapath.abi.ServiceValue;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    return new MapContentsBuilder(previous).build(state);
  }
}
