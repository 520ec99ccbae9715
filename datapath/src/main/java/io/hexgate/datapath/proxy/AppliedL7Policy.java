package io.hexgate.datapath.proxy;

import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.maps.IpcacheTable;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy's view of the revision in force: for a redirected connection, the HTTP rules of the entries of
 * the local endpoint's rule map that cover the peer and port, with the rule map's precedence (any DENY:
 * nothing passes; else any ALLOW: everything passes, the connection was redirected under an older
 * revision; else the union of the REDIRECT entries' rules). Rule sets are merged per peer identity and
 * port only: an entry for another peer never widens this one's rules. No entry at all: nothing passes.
 *
 * <p>Immutable; the agent swaps in a new one per revision. Answers are cached per connection key, since
 * every request asks again.
 */
public final class AppliedL7Policy implements L7Policy {
  public static final AppliedL7Policy EMPTY =
      new AppliedL7Policy(AgentState.EMPTY, new IpcacheTable(Map.of(), Map.of()));

  private final Map<Integer, EndpointState> endpointsByIp = new HashMap<>();
  private final IpcacheTable ipcache;
  private final Map<Key, Optional<ConnectionPolicy>> cache = new ConcurrentHashMap<>();

  private record Key(ProxyDirection direction, int local, int remote, int port) {}

  /** @param ipcache the IP cache as the kernel holds it for {@code state}, so that both name a peer alike */
  public AppliedL7Policy(AgentState state, IpcacheTable ipcache) {
    for (EndpointState e : state.endpoints().values()) {
      if (!e.getIp().isEmpty() && !Ipv4.isIpv6(e.getIp())) {
        endpointsByIp.put(Ipv4.parse(e.getIp()), e);
      }
    }
    this.ipcache = ipcache;
  }

  @Override
  public Optional<ConnectionPolicy> lookup(ProxyDirection direction, InetSocketAddress client,
      InetSocketAddress server) {
    if (!(client.getAddress() instanceof Inet4Address c) || !(server.getAddress() instanceof Inet4Address s)) {
      return Optional.empty();
    }
    int clientIp = toInt(c);
    int serverIp = toInt(s);
    boolean ingress = direction == ProxyDirection.INGRESS;
    Key key = new Key(direction, ingress ? serverIp : clientIp, ingress ? clientIp : serverIp, server.getPort());
    return cache.computeIfAbsent(key, this::resolve);
  }

  private Optional<ConnectionPolicy> resolve(Key k) {
    EndpointState local = endpointsByIp.get(k.local());
    if (local == null) {
      return Optional.empty();
    }
    long remote = ipcache.identityOf(k.remote());
    boolean ingress = k.direction() == ProxyDirection.INGRESS;
    RuleMap map = ingress ? local.getIngress() : local.getEgress();
    boolean denied = false;
    boolean allowed = false;
    boolean redirected = false;
    boolean anyRequest = false;
    List<HttpMatch> http = new ArrayList<>();
    Set<PolicyRef> redirecting = new LinkedHashSet<>();
    Set<PolicyRef> allowing = new LinkedHashSet<>();
    for (RuleMapEntry e : map.getEntriesList()) {
      if (!covers(e, remote, k.port())) {
        continue;
      }
      switch (e.getAction()) {
        case ACTION_DENY -> denied = true;
        case ACTION_ALLOW -> {
          allowed = true;
          allowing.addAll(e.getDerivedFromList());
        }
        case ACTION_REDIRECT -> {
          redirected = true;
          redirecting.addAll(e.getDerivedFromList());
          // an entry without rules lets every request through, whatever the others say
          anyRequest |= e.getHttpCount() == 0;
          http.addAll(e.getHttpList());
        }
        default -> denied = true;
      }
    }
    if (denied || !(allowed || redirected)) {
      return Optional.empty();
    }
    long localIdentity = local.getIdentity().getId();
    long source = ingress ? remote : localIdentity;
    long destination = ingress ? localIdentity : remote;
    if (allowed || anyRequest) {
      return Optional.of(new ConnectionPolicy(source, destination, List.of(),
          List.copyOf(allowed ? allowing : redirecting)));
    }
    return Optional.of(new ConnectionPolicy(source, destination, http, List.copyOf(redirecting)));
  }

  private static boolean covers(RuleMapEntry e, long remote, int port) {
    return (e.getRemoteIdentity() == 0 || e.getRemoteIdentity() == remote)
        && (e.getProtocol() == Protocol.PROTOCOL_ANY || e.getProtocol() == Protocol.PROTOCOL_TCP)
        && e.getPortFrom() <= port && port <= e.getPortTo();
  }

  private static int toInt(Inet4Address a) {
    byte[] b = a.getAddress();
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }
}
