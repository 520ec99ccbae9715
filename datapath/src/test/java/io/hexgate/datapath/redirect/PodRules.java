package io.hexgate.datapath.redirect;

import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.netns.PodNetwork;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Rule maps and endpoints of pods in namespace {@code default}, as the operator would send them. */
final class PodRules {
  static final PolicyRef POLICY =
      PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1").build();

  private PodRules() {}

  /** A server and a client pod with their identities: the node's desired state for given rules. */
  record TwoPods(PodNetwork server, long serverId, PodNetwork client, long clientId) {
    /**
     * The server's ingress and the client's egress as given, the other directions as no policy (server
     * egress) or enforcing with no rule (client ingress); {@code moreIpcache} adds addresses of other nodes.
     */
    AgentState state(long revision, RuleMap clientEgress, RuleMap serverIngress, Map<String, Long> moreIpcache) {
      Map<String, Long> ipcache = new HashMap<>(moreIpcache);
      ipcache.put(server.ip() + "/32", serverId);
      ipcache.put(client.ip() + "/32", clientId);
      return new AgentState("e", revision, Map.of(
          key("server"), endpoint("server", server.ip(), serverId, serverIngress, allowAll()),
          key("client"), endpoint("client", client.ip(), clientId, RuleMap.newBuilder().setEnforcing(true).build(),
              clientEgress)),
          ipcache, Map.of());
    }
  }

  static EndpointKey key(String name) {
    return EndpointKey.newBuilder().setNamespace("default").setName(name).build();
  }

  static EndpointState endpoint(String name, String ip, long identity, RuleMap ingress, RuleMap egress) {
    return EndpointState.newBuilder().setKey(key(name)).setIp(ip).setIdentity(Identity.newBuilder().setId(identity))
        .setIngress(ingress).setEgress(egress).build();
  }

  /** A direction no policy selects. */
  static RuleMap allowAll() {
    return RuleMap.newBuilder().setEnforcing(false)
        .addEntries(RuleMapEntry.newBuilder().setProtocol(Protocol.PROTOCOL_ANY).setPortTo(65535)
            .setAction(Action.ACTION_ALLOW)).build();
  }

  static RuleMap rules(RuleMapEntry... entries) {
    return RuleMap.newBuilder().setEnforcing(true).addAllEntries(List.of(entries)).build();
  }

  static RuleMapEntry allow(long identity, int port) {
    return entry(identity, port, Action.ACTION_ALLOW).build();
  }

  /** A REDIRECT entry: the L7 proxy judges each request by {@code http} (none: every request passes). */
  static RuleMapEntry redirect(long identity, int port, HttpMatch... http) {
    return entry(identity, port, Action.ACTION_REDIRECT).addAllHttp(List.of(http)).build();
  }

  private static RuleMapEntry.Builder entry(long identity, int port, Action action) {
    return RuleMapEntry.newBuilder().setRemoteIdentity(identity).setProtocol(Protocol.PROTOCOL_TCP)
        .setPortFrom(port).setPortTo(port).setAction(action).addDerivedFrom(POLICY);
  }
}
