package io.hexgate.contract.testing;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.contract.v1.StateUpdate;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * What a node agent holds of the operator's updates (endpoints, IP cache, services), for {@link TestingAgent},
 * which has no datapath behind it. The real agent keeps its own state in the datapath module, which the
 * operator does not depend on.
 */
final class AgentMaps {
  /** "namespace/name" to the endpoint's state. */
  public final Map<String, EndpointState> endpoints;
  /** Prefix to identity. */
  public final Map<String, Long> ipcache;
  /** Frontend "ip:port/PROTOCOL" to its service state. */
  public final Map<String, ServiceState> services;

  private AgentMaps(Map<String, EndpointState> endpoints, Map<String, Long> ipcache, Map<String, ServiceState> services) {
    this.endpoints = endpoints;
    this.ipcache = ipcache;
    this.services = services;
  }

  /** Maps for one thread at a time. */
  public static AgentMaps plain() {
    return new AgentMaps(new HashMap<>(), new HashMap<>(), new HashMap<>());
  }

  /** Maps other threads may read while updates are applied, in key order. */
  public static AgentMaps concurrent() {
    return new AgentMaps(new ConcurrentSkipListMap<>(), new ConcurrentSkipListMap<>(), new ConcurrentSkipListMap<>());
  }

  /** Applies {@code u}; the caller has checked that it builds on what these maps hold. */
  public void apply(StateUpdate u) {
    if (u.getSnapshot()) {
      endpoints.clear();
      ipcache.clear();
      services.clear();
    }
    for (EndpointState e : u.getUpsertEndpointsList()) {
      endpoints.put(key(e.getKey()), e);
    }
    for (EndpointKey k : u.getRemoveEndpointsList()) {
      endpoints.remove(key(k));
    }
    for (IpcacheEntry e : u.getUpsertIpcacheList()) {
      ipcache.put(e.getPrefix(), e.getIdentity());
    }
    u.getRemoveIpcacheList().forEach(ipcache::remove);
    for (ServiceState s : u.getUpsertServicesList()) {
      services.put(frontend(s.getFrontend()), s);
    }
    for (ServiceFrontend f : u.getRemoveServicesList()) {
      services.remove(frontend(f));
    }
  }

  public static String key(EndpointKey k) {
    return k.getNamespace() + "/" + k.getName();
  }

  public static String frontend(ServiceFrontend f) {
    return f.getIp() + ":" + f.getPort() + "/" + f.getProtocol().name().substring("PROTOCOL_".length());
  }
}
