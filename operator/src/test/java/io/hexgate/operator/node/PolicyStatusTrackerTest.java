package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.MutableClock;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
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
    hub.changed(engine, Set.of());
    t.changed(engine, Set.of());
  }

  private void ack(PolicyStatusTracker t, String node, boolean ok, String error) {
    t.reported(new AgentReport(node, hub.find(node).current().revision(), ok, error, Map.of(), Set.of()));
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

  static final class PolicyTrackerAssert {
    static void enforced(PolicyStatus s, String status) {
      assertThat(s.conditions).filteredOn(c -> c.getType().equals("Enforced")).singleElement()
          .satisfies(c -> assertThat(c.getStatus()).isEqualTo(status));
    }
  }
}
