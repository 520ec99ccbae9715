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
import java.util.List;

/** Rule maps and endpoints of pods in namespace {@code default}, as the operator would send them. */
final class PodRules {
  static final PolicyRef POLICY =
      PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1").build();

  private PodRules() {}

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
