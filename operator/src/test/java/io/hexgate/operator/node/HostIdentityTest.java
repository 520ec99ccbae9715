package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.MutableClock;
import io.hexgate.operator.TestOperator;
import io.hexgate.operator.identity.ReservedIdentity;
import io.hexgate.operator.policy.Direction;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.Protocol;
import io.hexgate.operator.policy.RuleMap;
import io.hexgate.operator.policy.Verdict;
import io.hexgate.operator.policy.api.Rule;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Node addresses in the IP cache each node receives: its own are {@code reserved:host} (1), the other
 * nodes' {@code reserved:remote-node} (6); so allow-localhost lets the local host (kubelet probes) reach
 * pods under ingress default-deny while other nodes need a rule allowing {@code remote-node}.
 */
class HostIdentityTest {
  private static final Map<String, Set<String>> ADDRESSES =
      Map.of("node-a", Set.of("172.31.0.11/32"), "node-b", Set.of("172.31.0.12/32", "198.51.100.12/32"));

  static Node node(String name, String... typeAndAddress) {
    NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewStatus().endStatus();
    Node n = b.build();
    for (int i = 0; i < typeAndAddress.length; i += 2) {
      n.getStatus().getAddresses().add(new io.fabric8.kubernetes.api.model.NodeAddress(typeAndAddress[i + 1], typeAndAddress[i]));
    }
    return n;
  }

  private static Map<String, Long> ipcache(StateUpdate u) {
    return u.getUpsertIpcacheList().stream().collect(Collectors.toMap(IpcacheEntry::getPrefix, IpcacheEntry::getIdentity));
  }

  @Test
  void shouldTakeInternalAndExternalIpsOnlyAndNeverANameOrARange() {
    Node n = node("node-a", "InternalIP", "172.31.0.11", "ExternalIP", "198.51.100.11", "Hostname", "node-a",
        "InternalIP", "node-a.example.com", "InternalIP", "10.0.0.0/8", "InternalDNS", "10.1.1.1");
    assertThat(NodeAddresses.of(n)).containsExactlyInAnyOrder("172.31.0.11/32", "198.51.100.11/32");
  }

  @Test
  void shouldGiveEachNodeItsOwnAddressesAsHostAndTheOthersAsRemoteNode() {
    PolicyEngine engine = StarWars.cluster();
    NodeStateHub hub = new NodeStateHub("e", 8);
    hub.changed(engine.snapshot(), Set.of());
    hub.nodeAddresses(ADDRESSES, Map.of());

    Map<String, Long> a = ipcache(hub.find("node-a").current().state().snapshot("e", 1, true));
    Map<String, Long> b = ipcache(hub.find("node-b").current().state().snapshot("e", 1, true));
    assertThat(a).containsEntry("172.31.0.11/32", 1L).containsEntry("172.31.0.12/32", 6L).containsEntry("198.51.100.12/32", 6L)
        .containsKey("10.0.1.10/32");
    assertThat(b).containsEntry("172.31.0.11/32", 6L).containsEntry("172.31.0.12/32", 1L).containsEntry("198.51.100.12/32", 1L);
    // a node that is not a Node object (yet) sees every node as remote
    assertThat(hub.node("node-c").current().state().ipcache().entriesFor("node-c")).containsEntry("172.31.0.11/32", 6L);

    // a moved address: a delta for the node that sees the change
    NodeRevisions revisions = hub.find("node-a");
    long before = revisions.current().revision();
    hub.nodeAddresses(Map.of("node-a", Set.of("172.31.0.21/32"), "node-b", Set.of("172.31.0.12/32")), Map.of());
    StateUpdate delta = revisions.current().state().delta(revisions.at(before), "e", before, revisions.current().revision());
    assertThat(ipcache(delta)).containsExactly(Map.entry("172.31.0.21/32", 1L));
    assertThat(delta.getRemoveIpcacheList()).containsExactlyInAnyOrder("172.31.0.11/32", "198.51.100.12/32");

    // engine changes keep the addresses
    engine.upsertEndpoint(StarWars.pod("probe", "10.0.1.20", Map.of("app", "probe"), "node-a"));
    hub.changed(engine.snapshot(), Set.of("node-a"));
    assertThat(hub.find("node-b").current().state().ipcache().entriesFor("node-b"))
        .containsEntry("172.31.0.12/32", 1L).containsEntry("10.0.1.20/32", engine.identityOf(
            new io.hexgate.operator.policy.Endpoint.Key("default", "probe")).id());
  }

  @Test
  void shouldLetAPodAddressWinOverANodeAddressAndANodeAddressOverACidrPrefix() {
    IpCache cache = new IpCache(Map.of("10.0.1.10/32", 300L, "172.31.0.11/32", ReservedIdentity.FIRST_CIDR_ID),
        Map.of("node-a", Set.of("10.0.1.10/32", "172.31.0.11/32")));
    assertThat(cache.entriesFor("node-a")).containsEntry("10.0.1.10/32", 300L).containsEntry("172.31.0.11/32", 1L);
    assertThat(cache.entriesFor("node-b")).containsEntry("10.0.1.10/32", 300L).containsEntry("172.31.0.11/32", 6L);
  }

  @Test
  void shouldAllowTheLocalHostButNotOtherNodesIntoAPodUnderIngressDefaultDeny() throws Exception {
    PolicyEngine engine = StarWars.cluster();
    StarWars.applyRule1(engine); // the deathstar: ingress default-deny, only org=empire on 80/TCP
    IpCache cache = IpCache.of(engine.snapshot()).withNodes(ADDRESSES, Map.of());
    RuleMap ingress = engine.ruleMap(StarWars.deathstar().key(), Direction.INGRESS);
    Map<String, Long> seenOnA = cache.entriesFor("node-a");

    assertThat(ingress.lookup(seenOnA.get("172.31.0.11/32"), Protocol.TCP, 8080)).isInstanceOf(Verdict.Allowed.class);
    assertThat(ingress.lookup(seenOnA.get("172.31.0.12/32"), Protocol.TCP, 8080)).isInstanceOf(Verdict.Denied.class);
    assertThat(ingress.lookup(seenOnA.get("172.31.0.12/32"), Protocol.TCP, 80)).isInstanceOf(Verdict.Denied.class);
    // the contract's rule map carries allow-localhost as an entry for identity 1
    assertThat(ContractMessages.ruleMap(ingress).getEntriesList())
        .anySatisfy(e -> assertThat(e.getRemoteIdentity()).isEqualTo(1L));

    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    engine.upsertPolicy(PolicyRef.cnp("default", "nodes"), List.of(yaml.readValue("""
        endpointSelector: {matchLabels: {class: deathstar}}
        ingress:
        - fromEntities: [remote-node]
          toPorts: [{ports: [{port: "80", protocol: TCP}]}]
        ingressDeny:
        - fromEntities: [host]
          toPorts: [{ports: [{port: "9999", protocol: TCP}]}]
        """, Rule.class)), List.of("spec"));
    ingress = engine.ruleMap(StarWars.deathstar().key(), Direction.INGRESS);
    assertThat(ingress.lookup(6, Protocol.TCP, 80)).isInstanceOf(Verdict.Allowed.class);
    assertThat(ingress.lookup(6, Protocol.TCP, 8080)).isInstanceOf(Verdict.Denied.class);
    assertThat(ingress.lookup(1, Protocol.TCP, 8080)).isInstanceOf(Verdict.Allowed.class);
    // an explicit deny still beats allow-localhost
    assertThat(ingress.lookup(1, Protocol.TCP, 9999)).isInstanceOf(Verdict.Denied.class);
  }

  @Test
  void shouldFeedNodeObjectsAddressesToEveryNodesIpCache() {
    try (MockApi api = new MockApi()) {
      HexgateOperator operator = TestOperator.create(api.client(), new MutableClock());
      NodeStateHub hub = operator.nodes();
      try {
        operator.start();
        api.client().resource(node("node-1", "InternalIP", "172.31.0.11", "Hostname", "node-1")).create();
        api.client().resource(node("node-2", "InternalIP", "172.31.0.12")).create();
        NodeRevisions one = hub.node("node-1");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(one.current().state().ipcache().entriesFor("node-1"))
            .containsEntry("172.31.0.11/32", 1L).containsEntry("172.31.0.12/32", 6L));

        api.client().nodes().withName("node-2").delete();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(one.current().state().ipcache().entriesFor("node-1"))
            .containsEntry("172.31.0.11/32", 1L).doesNotContainKey("172.31.0.12/32"));
      } finally {
        operator.stop();
      }
    }
  }
}
