package io.hexgate.datapath.flow.hubble;

import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Policy;
import io.hexgate.contract.hubble.flow.Service;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.datapath.agent.AgentState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One applied state's names, ready for flows: the node's endpoints (with endpoint id, workload and the
 * policies that deny by default in each direction), the IP cache's ({@link RemoteNames}, shared between states with the
 * same IP cache), identities' labels and service frontends. Immutable.
 */
final class NameTable {
  static final NameTable EMPTY = new NameTable(RemoteNames.EMPTY, Map.of(), Map.of(), Map.of());

  /** A local endpoint: its Hubble endpoint, and who puts it in default deny for ingress and egress. */
  record Local(Endpoint endpoint, List<Policy> ingressDefaultDenyBy, List<Policy> egressDefaultDenyBy) {}

  private record Frontend(int port, int protocol, Service service) {}

  private final RemoteNames remote;
  private final Map<String, Local> locals;
  private final Map<Long, Endpoint> localIdentities;
  private final Map<String, List<Frontend>> frontends;

  private NameTable(RemoteNames remote, Map<String, Local> locals, Map<Long, Endpoint> localIdentities,
      Map<String, List<Frontend>> frontends) {
    this.remote = remote;
    this.locals = locals;
    this.localIdentities = localIdentities;
    this.frontends = frontends;
  }

  /** {@code previous} lends its IP cache names when the state's IP cache is the one they were built from. */
  static NameTable of(AgentState state, Map<Integer, EndpointKey> endpointIds, NameTable previous,
      PolicyNames policyNames) {
    RemoteNames remote = previous.remote.builtFrom(state.ipcache(), state.ipcachePods())
        ? previous.remote : new RemoteNames(state.ipcache(), state.ipcachePods());
    Map<EndpointKey, Integer> ids = new HashMap<>();
    endpointIds.forEach((id, key) -> ids.put(key, id));
    Map<String, Local> locals = new HashMap<>();
    Map<Long, Endpoint> identities = new HashMap<>();
    for (EndpointState ep : state.endpoints().values()) {
      long identity = ep.getIdentity().getId();
      identities.putIfAbsent(identity,
          Endpoint.newBuilder().setIdentity((int) identity).addAllLabels(ep.getIdentity().getLabelsList()).build());
      if (ep.getIp().isEmpty()) {
        continue;
      }
      Endpoint e = Workloads.add(Endpoint.newBuilder()
          .setID(ids.getOrDefault(ep.getKey(), 0))
          .setIdentity((int) identity)
          .setNamespace(ep.getKey().getNamespace())
          .setPodName(ep.getKey().getName())
          .addAllLabels(ep.getIdentity().getLabelsList()), ep.getWorkload())
          .build();
      locals.put(ep.getIp(), new Local(e, policyNames.policies(ep.getIngress().getDefaultDenyByList()),
          policyNames.policies(ep.getEgress().getDefaultDenyByList())));
    }
    Map<String, List<Frontend>> fes = new HashMap<>();
    for (ServiceState s : state.services().values()) {
      String name = s.getService();
      int slash = name.indexOf('/');
      Service svc = Service.newBuilder()
          .setNamespace(slash < 0 ? "" : name.substring(0, slash))
          .setName(slash < 0 ? name : name.substring(slash + 1))
          .build();
      fes.computeIfAbsent(s.getFrontend().getIp(), ip -> new ArrayList<>())
          .add(new Frontend(s.getFrontend().getPort(), s.getFrontend().getProtocolValue(), svc));
    }
    return new NameTable(remote, locals, identities, fes);
  }

  /** The node's endpoint at {@code ip}, or null. */
  Local local(String ip) {
    return locals.get(ip);
  }

  /**
   * The endpoint at {@code ip}: a local endpoint, else the IP cache's host entry, else the identity of the
   * longest matching prefix (world when none). {@code identity}, when not 0, is what the datapath judged the
   * address as and wins over the tables (which may have moved on since).
   */
  Endpoint endpoint(String ip, long identity) {
    Local l = locals.get(ip);
    Endpoint e = l != null ? l.endpoint() : remote.host(ip);
    if (e == null) {
      e = identityEndpoint(identity != 0 ? identity : remote.identityOf(ip));
    } else if (identity != 0 && e.getIdentity() != (int) identity) {
      e = e.toBuilder().setIdentity((int) identity).clearLabels()
          .addAllLabels(identityEndpoint(identity).getLabelsList()).build();
    }
    return e;
  }

  private Endpoint identityEndpoint(long identity) {
    Endpoint e = localIdentities.get(identity);
    if (e == null) {
      e = remote.identity(identity);
    }
    return e != null ? e : Endpoint.newBuilder().setIdentity((int) identity).build();
  }

  /** The service whose frontend is {@code ip}:{@code port} over {@code protocol} (IANA number), or null. */
  Service service(String ip, int port, int protocol) {
    if (ip.isEmpty()) {
      return null;
    }
    List<Frontend> list = frontends.get(ip);
    if (list == null) {
      return null;
    }
    for (Frontend f : list) {
      if (f.port() == port && f.protocol() == protocol) {
        return f.service();
      }
    }
    return null;
  }
}
