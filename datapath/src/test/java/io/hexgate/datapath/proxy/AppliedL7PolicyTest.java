package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.maps.IpcacheTable;
import io.hexgate.datapath.maps.MapContents;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AppliedL7PolicyTest {
  private static final PolicyRef RULE1 = PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1").build();
  private static final PolicyRef OTHER = PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("other").build();
  private static final HttpMatch LANDING = HttpMatch.newBuilder().setMethod("POST").setPath("/v1/request-landing").build();
  private static final HttpMatch GET_ALL = HttpMatch.newBuilder().setMethod("GET").build();
  private static final InetSocketAddress TIEFIGHTER = new InetSocketAddress("10.0.1.5", 40000);
  private static final InetSocketAddress XWING = new InetSocketAddress("10.0.1.6", 40000);
  private static final InetSocketAddress DEATHSTAR_80 = new InetSocketAddress("10.0.1.9", 80);
  private static final InetSocketAddress DEATHSTAR_81 = new InetSocketAddress("10.0.1.9", 81);

  private static RuleMapEntry entry(long peer, int from, int to, Action action, List<HttpMatch> http, PolicyRef by) {
    return RuleMapEntry.newBuilder().setRemoteIdentity(peer).setProtocol(Protocol.PROTOCOL_TCP).setPortFrom(from)
        .setPortTo(to).setAction(action).addAllHttp(http).addDerivedFrom(by).build();
  }

  private static AppliedL7Policy policy(RuleMap deathstarIngress, RuleMap tiefighterEgress) {
    EndpointState deathstar = EndpointState.newBuilder()
        .setKey(EndpointKey.newBuilder().setNamespace("default").setName("deathstar"))
        .setIp("10.0.1.9").setIdentity(Identity.newBuilder().setId(300)).setIngress(deathstarIngress).build();
    EndpointState tiefighter = EndpointState.newBuilder()
        .setKey(EndpointKey.newBuilder().setNamespace("default").setName("tiefighter"))
        .setIp("10.0.1.5").setIdentity(Identity.newBuilder().setId(100)).setEgress(tiefighterEgress).build();
    StateUpdate u = StateUpdate.newBuilder().setEpoch("e").setRevision(1).setSnapshot(true)
        .addUpsertEndpoints(deathstar).addUpsertEndpoints(tiefighter)
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.1.5/32").setIdentity(100))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.1.6/32").setIdentity(200))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.1.9/32").setIdentity(300))
        .build();
    AgentState state = AgentState.EMPTY.apply(u);
    MapContents contents = MapContents.build(state, MapContents.EMPTY);
    return new AppliedL7Policy(state, new IpcacheTable(contents.ipcacheHosts(), contents.ipcache()));
  }

  private static RuleMap map(RuleMapEntry... entries) {
    return RuleMap.newBuilder().setEnforcing(true).addAllEntries(List.of(entries)).build();
  }

  @Test
  void ingressRulesOfThePeerAndPortWithIdentitiesAndPolicies() {
    AppliedL7Policy p = policy(map(entry(100, 80, 80, Action.ACTION_REDIRECT, List.of(LANDING), RULE1)), map());
    Optional<ConnectionPolicy> c = p.lookup(ProxyDirection.INGRESS, TIEFIGHTER, DEATHSTAR_80);
    assertThat(c).contains(new ConnectionPolicy(100, 300, List.of(LANDING), List.of(RULE1)));
    assertThat(p.lookup(ProxyDirection.INGRESS, XWING, DEATHSTAR_80)).as("another peer").isEmpty();
    assertThat(p.lookup(ProxyDirection.INGRESS, TIEFIGHTER, DEATHSTAR_81)).as("another port").isEmpty();
  }

  @Test
  void rulesForAnyPeerAndForThePeerAreAUnionButAnotherPeersRulesNeverWidenThem() {
    AppliedL7Policy p = policy(map(
        entry(100, 80, 80, Action.ACTION_REDIRECT, List.of(LANDING), RULE1),
        entry(0, 80, 80, Action.ACTION_REDIRECT, List.of(GET_ALL), OTHER),
        // xwing may do anything: that must not leak into the tiefighter's rules
        entry(200, 80, 80, Action.ACTION_REDIRECT, List.of(), OTHER)), map());
    assertThat(p.lookup(ProxyDirection.INGRESS, TIEFIGHTER, DEATHSTAR_80).orElseThrow().http())
        .containsExactly(LANDING, GET_ALL);
    assertThat(p.lookup(ProxyDirection.INGRESS, XWING, DEATHSTAR_80).orElseThrow().http())
        .as("an entry without rules lets every request through").isEmpty();
  }

  @Test
  void denyWinsAndAPlainAllowLetsEveryRequestThrough() {
    AppliedL7Policy denied = policy(map(
        entry(100, 80, 80, Action.ACTION_REDIRECT, List.of(LANDING), RULE1),
        entry(0, 1, 65535, Action.ACTION_DENY, List.of(), OTHER)), map());
    assertThat(denied.lookup(ProxyDirection.INGRESS, TIEFIGHTER, DEATHSTAR_80)).isEmpty();
    AppliedL7Policy allowed = policy(map(
        entry(100, 80, 80, Action.ACTION_REDIRECT, List.of(LANDING), RULE1),
        entry(100, 80, 80, Action.ACTION_ALLOW, List.of(), OTHER)), map());
    assertThat(allowed.lookup(ProxyDirection.INGRESS, TIEFIGHTER, DEATHSTAR_80))
        .contains(new ConnectionPolicy(100, 300, List.of(), List.of(OTHER)));
  }

  @Test
  void egressRulesAreTheClientsAndTheServerIsThePeer() {
    AppliedL7Policy p = policy(map(), map(entry(300, 80, 80, Action.ACTION_REDIRECT, List.of(GET_ALL), RULE1)));
    assertThat(p.lookup(ProxyDirection.EGRESS, TIEFIGHTER, DEATHSTAR_80))
        .contains(new ConnectionPolicy(100, 300, List.of(GET_ALL), List.of(RULE1)));
    assertThat(p.lookup(ProxyDirection.EGRESS, XWING, DEATHSTAR_80)).as("not an endpoint of this node").isEmpty();
    assertThat(p.lookup(ProxyDirection.INGRESS, TIEFIGHTER, DEATHSTAR_80)).as("no ingress redirect").isEmpty();
  }

  @Test
  void anAddressOutsideTheIpCacheIsWorld() {
    AppliedL7Policy p = policy(map(entry(2, 80, 80, Action.ACTION_REDIRECT, List.of(GET_ALL), RULE1)), map());
    assertThat(p.lookup(ProxyDirection.INGRESS, new InetSocketAddress("192.0.2.1", 40000), DEATHSTAR_80))
        .contains(new ConnectionPolicy(2, 300, List.of(GET_ALL), List.of(RULE1)));
    assertThat(AppliedL7Policy.EMPTY.lookup(ProxyDirection.INGRESS, TIEFIGHTER, DEATHSTAR_80)).isEmpty();
  }
}
