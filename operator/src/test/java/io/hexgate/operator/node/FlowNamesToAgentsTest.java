package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.contract.v1.Workload;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What agents need to name the two ends of their flows: the pods behind other nodes' addresses (IP cache
 * entries with namespace, pod name, labels and workload), the local pods' workloads, and the policies
 * that put a local endpoint in default deny.
 */
class FlowNamesToAgentsTest {
  private static final PolicyRef RULE1 =
      PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1").build();

  private static Map<String, IpcacheEntry> ipcache(StateUpdate u) {
    return u.getUpsertIpcacheList().stream().collect(Collectors.toMap(IpcacheEntry::getPrefix, Function.identity()));
  }

  /** What a node at revision {@code before} receives to catch up. */
  private static StateUpdate since(NodeRevisions r, long before) {
    return r.current().state().delta(r.at(before), "e", before, r.current().revision());
  }

  private static EndpointState endpoint(StateUpdate u, String name) {
    return u.getUpsertEndpointsList().stream().filter(e -> e.getKey().getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void shouldNameThePodsOfOtherNodesInTheIpCache() {
    PolicyEngine engine = StarWars.cluster();
    NodeStateHub hub = new NodeStateHub("e", 8);
    hub.changed(engine.snapshot(), Set.of());
    hub.nodeAddresses(Map.of("node-a", Set.of("172.31.0.11/32"), "node-b", Set.of("172.31.0.12/32")), Map.of());

    Map<String, IpcacheEntry> seenOnA = ipcache(hub.find("node-a").current().state().snapshot("e", 1, true));
    IpcacheEntry xwing = seenOnA.get("10.0.2.11/32");
    assertThat(xwing.getNamespace()).isEqualTo("default");
    assertThat(xwing.getPodName()).isEqualTo("xwing");
    assertThat(xwing.getLabelsList()).contains("k8s:org=alliance", "k8s:class=xwing");
    // node addresses name no pod
    assertThat(seenOnA.get("172.31.0.12/32").getPodName()).isEmpty();
    assertThat(seenOnA.get("172.31.0.12/32").getLabelsList()).isEmpty();
  }

  @Test
  void shouldSendAPodThatTookOverAnAddressWithTheSameIdentity() {
    PolicyEngine engine = StarWars.cluster();
    NodeStateHub hub = new NodeStateHub("e", 8);
    hub.changed(engine.snapshot(), Set.of());
    NodeRevisions revisions = hub.find("node-a");
    long before = revisions.current().revision();

    engine.deleteEndpoint(StarWars.xwing().key());
    engine.upsertEndpoint(StarWars.pod("xwing-2", "10.0.2.11", Map.of("org", "alliance", "class", "xwing"), "node-b"));
    hub.changed(engine.snapshot(), Set.of());

    assertThat(ipcache(since(revisions, before)).get("10.0.2.11/32").getPodName()).isEqualTo("xwing-2");
  }

  @Test
  void shouldSendEachPodsWorkloadToItsNodeAndToTheOthers() {
    PolicyEngine engine = StarWars.cluster();
    engine.upsertEndpoint(deathstar(new Endpoint.Workload("deathstar", "Deployment")));
    NodeStateHub hub = new NodeStateHub("e", 8);
    hub.changed(engine.snapshot(), Set.of());

    Workload deployment = Workload.newBuilder().setName("deathstar").setKind("Deployment").build();
    assertThat(endpoint(hub.find("node-a").current().state().snapshot("e", 1, true), "deathstar").getWorkload())
        .isEqualTo(deployment);
    StateUpdate onB = hub.find("node-b").current().state().snapshot("e", 1, true);
    assertThat(ipcache(onB).get("10.0.1.10/32").getWorkload()).isEqualTo(deployment);
    // the ships are bare pods: no workload, locally or remotely
    assertThat(endpoint(onB, "xwing").hasWorkload()).isFalse();
    assertThat(ipcache(onB).get("10.0.2.11/32").hasWorkload()).isFalse();
  }

  @Test
  void shouldResendAPodWhoseWorkloadChanged() {
    PolicyEngine engine = StarWars.cluster();
    NodeStateHub hub = new NodeStateHub("e", 8);
    hub.changed(engine.snapshot(), Set.of());
    NodeRevisions onA = hub.find("node-a");
    NodeRevisions onB = hub.find("node-b");
    long beforeA = onA.current().revision();
    long beforeB = onB.current().revision();

    // adopted by a StatefulSet: same labels, same identity, only the workload differs
    engine.upsertEndpoint(deathstar(new Endpoint.Workload("deathstar", "StatefulSet")));
    hub.changed(engine.snapshot(), Set.of());

    Workload statefulSet = Workload.newBuilder().setName("deathstar").setKind("StatefulSet").build();
    assertThat(endpoint(since(onA, beforeA), "deathstar").getWorkload()).isEqualTo(statefulSet);
    StateUpdate deltaB = since(onB, beforeB);
    assertThat(deltaB.getUpsertIpcacheList()).extracting(IpcacheEntry::getPrefix).containsExactly("10.0.1.10/32");
    assertThat(ipcache(deltaB).get("10.0.1.10/32").getWorkload()).isEqualTo(statefulSet);
    assertThat(deltaB.getUpsertEndpointsList()).isEmpty();
  }

  private static Endpoint deathstar(Endpoint.Workload workload) {
    Endpoint d = StarWars.deathstar();
    return new Endpoint(d.namespace(), d.name(), d.ip(), d.labels(), d.serviceAccount(), d.node(), d.namedPorts(), workload);
  }

  @Test
  void shouldSayWhichPoliciesPutAnEndpointInDefaultDeny() {
    PolicyEngine engine = StarWars.cluster();
    StarWars.applyRule1(engine);
    NodeStateHub hub = new NodeStateHub("e", 8);
    hub.changed(engine.snapshot(), Set.of());

    EndpointState deathstar = endpoint(hub.find("node-a").current().state().snapshot("e", 1, true), "deathstar");
    assertThat(deathstar.getIngress().getEnforcing()).isTrue();
    assertThat(deathstar.getIngress().getDefaultDenyByList()).containsExactly(RULE1);
    // rule1 has no egress section: egress is not enforcing and nobody denies by default there
    assertThat(deathstar.getEgress().getDefaultDenyByList()).isEmpty();
  }
}
