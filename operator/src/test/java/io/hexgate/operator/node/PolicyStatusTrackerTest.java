package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.MutableClock;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicySnapshot;
import io.hexgate.operator.policy.PolicyValidity;
import io.hexgate.operator.policy.api.PolicyStatus;
import io.hexgate.operator.status.PolicyStatusTracker;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The tracker alone, fed by hand: which nodes enforce, the node limit, flow counters, dirty marks. */
class PolicyStatusTrackerTest {
  private final PolicyEngine engine = StarWars.cluster();
  private final NodeStateHub hub = new NodeStateHub("e", 8);
  private final PolicyValidity validity = new PolicyValidity();

  private PolicyStatusTracker tracker(int limit) {
    return new PolicyStatusTracker(hub, validity, new MutableClock(), limit);
  }

  private void change(PolicyStatusTracker t) {
    PolicySnapshot snapshot = engine.snapshot();
    hub.changed(snapshot, Set.of());
    t.rendered(snapshot);
  }

  private void ack(PolicyStatusTracker t, String node, boolean ok, String error) {
    t.reported(new AgentReport(node, hub.find(node).current().revision(), ok, error, Map.of(), Set.of(), true, ""));
  }

  @Test
  void shouldListOnlyFailingNodesBeyondTheLimit() {
    engine.upsertEndpoint(StarWars.pod("deathstar-2", "10.0.3.10", Map.of("org", "empire", "class", "deathstar"), "node-c"));
    PolicyStatusTracker t = tracker(2);
    StarWars.applyRule1(engine);
    validity.record(StarWars.RULE1, 1L, List.of());
    change(t);
    assertThat(t.requiredRevisions(StarWars.RULE1)).containsOnlyKeys("node-a", "node-c");
    PolicyStatus s = t.desired(StarWars.RULE1);
    assertThat(s.enforcement.nodes).isEqualTo("0/2");
    assertThat(s.nodes).containsOnlyKeys("node-a", "node-c"); // at the limit: every node

    ack(t, "node-a", true, "");
    ack(t, "node-c", false, "bpf map full");
    PolicyTrackerAssert.enforced(t.desired(StarWars.RULE1), "False");

    PolicyStatusTracker small = tracker(1);
    change(small);
    ack(small, "node-a", true, "");
    ack(small, "node-c", false, "bpf map full");
    s = small.desired(StarWars.RULE1);
    assertThat(s.enforcement.nodes).isEqualTo("1/2");
    assertThat(s.nodes).containsOnlyKeys("node-c"); // beyond the limit: only the failing one
    assertThat(s.nodes.get("node-c").ok).isFalse();
    assertThat(s.nodes.get("node-c").error).isEqualTo("bpf map full");
  }

  @Test
  void shouldEnforceOnlyFromTheRevisionHoldingTheNewRules() {
    PolicyStatusTracker t = tracker(100);
    change(t);
    ack(t, "node-a", true, "");
    long before = hub.find("node-a").current().revision();
    StarWars.applyRule1(engine);
    validity.record(StarWars.RULE1, 1L, List.of());
    change(t);
    assertThat(t.requiredRevisions(StarWars.RULE1)).containsEntry("node-a", before + 1);
    PolicyTrackerAssert.enforced(t.desired(StarWars.RULE1), "False");
    ack(t, "node-a", true, "");
    PolicyStatus s = t.desired(StarWars.RULE1);
    PolicyTrackerAssert.enforced(s, "True");
    assertThat(s.enforcement.revision).isEqualTo(1L);
    assertThat(t.takeDirty()).contains(StarWars.RULE1);
    assertThat(t.takeDirty()).isEmpty();
    change(t); // nothing changed
    assertThat(t.takeDirty()).isEmpty();
  }

  @Test
  void shouldTreatAPolicySelectingNoEndpointAsEnforced() {
    PolicyStatusTracker t = tracker(100);
    engine.deleteEndpoint(new Endpoint.Key("default", "deathstar"));
    StarWars.applyRule1(engine);
    validity.record(StarWars.RULE1, 1L, List.of());
    change(t);
    PolicyStatus s = t.desired(StarWars.RULE1);
    assertThat(s.enforcement.nodes).isEqualTo("0/0");
    assertThat(s.nodes).isNull();
    assertThat(s.conditions.get(1).getReason()).isEqualTo("NoSelectedEndpoints");
    PolicyTrackerAssert.enforced(s, "True");
  }

  private void ackFromJavaDatapath(PolicyStatusTracker t, String node) {
    t.reported(new AgentReport(node, hub.find(node).current().revision(), true, "", Map.of(), Set.of(), false,
        "the node runs the Java datapath, which judges no packet: --datapath java"));
  }

  @Test
  void shouldNeverCountANodeWhoseKernelDoesNotEnforceAndSayWhy() {
    engine.upsertEndpoint(StarWars.pod("deathstar-2", "10.0.3.10", Map.of("org", "empire", "class", "deathstar"), "node-c"));
    PolicyStatusTracker t = tracker(1);
    StarWars.applyRule1(engine);
    validity.record(StarWars.RULE1, 1L, List.of());
    change(t);
    ack(t, "node-a", true, "");
    ackFromJavaDatapath(t, "node-c"); // accepted the revision, but nothing in its kernel judges packets

    PolicyStatus s = t.desired(StarWars.RULE1);
    assertThat(s.enforcement.nodes).isEqualTo("1/2");
    assertThat(s.enforcement.revision).isNull();
    // beyond the node limit only nodes with something to say are listed: node-c is
    assertThat(s.nodes).containsOnlyKeys("node-c");
    assertThat(s.nodes.get("node-c").enforcing).isFalse();
    assertThat(s.nodes.get("node-c").notEnforcingReason).contains("Java datapath");
    assertThat(s.conditions).filteredOn(c -> c.getType().equals("Enforced")).singleElement().satisfies(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("KernelNotEnforcing");
      assertThat(c.getMessage()).contains("1 of 2 nodes do not enforce in the kernel: node-c (")
          .contains("--datapath java");
    });

    // restarted on the eBPF datapath: its Hello says so, and the next ACK counts
    t.takeDirty();
    t.kernelEnforcement("node-c", true, "");
    assertThat(t.takeDirty()).contains(StarWars.RULE1);
    ack(t, "node-c", true, "");
    s = t.desired(StarWars.RULE1);
    assertThat(s.enforcement.nodes).isEqualTo("2/2");
    PolicyTrackerAssert.enforced(s, "True");

    // and back on the Java datapath: the Hello alone takes it out, before any ACK
    t.kernelEnforcement("node-c", false, "loading the eBPF datapath failed: bpf_object__load: EPERM");
    assertThat(t.takeDirty()).contains(StarWars.RULE1);
    s = t.desired(StarWars.RULE1);
    assertThat(s.enforcement.nodes).isEqualTo("1/2");
    assertThat(s.nodes.get("node-c").notEnforcingReason).contains("EPERM");
  }

  @Test
  void shouldCountFlowsOnlyFromNodesThePolicyApplies() {
    PolicyStatusTracker t = tracker(100);
    StarWars.applyRule1(engine);
    validity.record(StarWars.RULE1, 1L, List.of());
    change(t); // rule1 selects the deathstar, on node-a; node-b holds only the ships
    io.hexgate.contract.v1.Flow forwarded = io.hexgate.contract.v1.Flow.newBuilder()
        .setVerdict(io.hexgate.contract.v1.Verdict.VERDICT_FORWARDED)
        .addPolicies(io.hexgate.contract.v1.PolicyRef.newBuilder()
            .setKind(StarWars.RULE1.kind()).setNamespace("default").setName("rule1"))
        .build();
    io.hexgate.contract.v1.FlowBatch forged = io.hexgate.contract.v1.FlowBatch.newBuilder()
        .addFlows(forwarded).addFlows(forwarded).addFlows(forwarded).build();

    t.received("node-b", forged);
    t.received("node-x", forged); // a node with no endpoint at all
    assertThat(t.desired(StarWars.RULE1).flows.allowed).isZero();
    assertThat(t.foreignFlowPolicies()).isEqualTo(6);

    t.received("node-a", forged);
    assertThat(t.desired(StarWars.RULE1).flows.allowed).isEqualTo(3);
  }

  @Test
  void shouldCountRedirectedConnectionsAsAllowedAndEachL7RequestOnce() {
    PolicyStatusTracker t = tracker(100);
    StarWars.applyRule1(engine);
    validity.record(StarWars.RULE1, 1L, List.of());
    change(t);
    io.hexgate.contract.v1.Flow.Builder rule1 = io.hexgate.contract.v1.Flow.newBuilder()
        .addPolicies(io.hexgate.contract.v1.PolicyRef.newBuilder().setKind(StarWars.RULE1.kind()).setNamespace("default").setName("rule1"));
    io.hexgate.contract.v1.Flow redirected = rule1.clone().setType(io.hexgate.contract.v1.FlowType.FLOW_TYPE_L3_L4)
        .setVerdict(io.hexgate.contract.v1.Verdict.VERDICT_REDIRECTED).build();
    io.hexgate.contract.v1.Flow landing = l7(rule1, io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_REQUEST, false,
        io.hexgate.contract.v1.Verdict.VERDICT_FORWARDED, "POST", 0);
    io.hexgate.contract.v1.Flow landed = l7(rule1, io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_RESPONSE, true,
        io.hexgate.contract.v1.Verdict.VERDICT_FORWARDED, "POST", 200);
    io.hexgate.contract.v1.Flow exhaust = l7(rule1, io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_REQUEST, false,
        io.hexgate.contract.v1.Verdict.VERDICT_DROPPED, "PUT", 0);
    io.hexgate.contract.v1.Flow forbidden = l7(rule1, io.hexgate.contract.v1.L7FlowType.L7_FLOW_TYPE_RESPONSE, true,
        io.hexgate.contract.v1.Verdict.VERDICT_FORWARDED, "PUT", 403);

    // two connections to the proxy: one POST that landed, one PUT the proxy refused with its own 403
    t.received("node-a", io.hexgate.contract.v1.FlowBatch.newBuilder().addFlows(redirected).addFlows(redirected).build());
    assertThat(t.desired(StarWars.RULE1).flows.allowed).isEqualTo(2);
    t.received("node-a", io.hexgate.contract.v1.FlowBatch.newBuilder().addFlows(landing).addFlows(exhaust).build());
    t.received("node-a", io.hexgate.contract.v1.FlowBatch.newBuilder().addFlows(landed).addFlows(forbidden).build());

    PolicyStatus s = t.desired(StarWars.RULE1);
    assertThat(s.flows.allowed).isEqualTo(3); // the two connections and the POST, not its answer
    assertThat(s.flows.denied).isEqualTo(1); // the PUT, not the proxy's 403
  }

  private static io.hexgate.contract.v1.Flow l7(io.hexgate.contract.v1.Flow.Builder base, io.hexgate.contract.v1.L7FlowType type,
      boolean reply, io.hexgate.contract.v1.Verdict verdict, String method, int code) {
    return base.clone().setType(io.hexgate.contract.v1.FlowType.FLOW_TYPE_L7).setIsReply(reply).setVerdict(verdict)
        .setL7(io.hexgate.contract.v1.Layer7.newBuilder().setType(type)
            .setHttp(io.hexgate.contract.v1.HTTP.newBuilder().setMethod(method).setCode(code).setProtocol("HTTP/1.1")))
        .build();
  }

  static final class PolicyTrackerAssert {
    static void enforced(PolicyStatus s, String status) {
      assertThat(s.conditions).filteredOn(c -> c.getType().equals("Enforced")).singleElement()
          .satisfies(c -> assertThat(c.getStatus()).isEqualTo(status));
    }
  }
}
