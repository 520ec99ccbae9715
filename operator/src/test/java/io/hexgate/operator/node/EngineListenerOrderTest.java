package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.hexgate.operator.MutableClock;
import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.feed.EngineWriter;
import io.hexgate.operator.metrics.OperatorMetrics;
import io.hexgate.operator.policy.Direction;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicySnapshot;
import io.hexgate.operator.policy.PolicyValidity;
import io.hexgate.operator.policy.RuleMap;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.status.PolicyStatusTracker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The engine's listeners (node state hub, status tracker, metrics, any other) get immutable snapshots,
 * and what they make of a run of changes does not depend on the order they were registered in.
 */
class EngineListenerOrderTest {
  /** What a run left in the hub, the tracker and the metrics, and what the first snapshot still said. */
  private record Outcome(
      Map<String, Long> revisions,
      Map<String, String> nodeStates,
      Map<String, Long> required,
      String enforced,
      List<String> gauges,
      int firstSnapshotEndpoints,
      RuleMap firstDeathstarIngress) {}

  private enum Order {
    HUB_FIRST,
    HUB_LAST
  }

  @Test
  void shouldEndInTheSameStateWhateverOrderTheListenersWereRegisteredIn() {
    Outcome hubFirst = run(Order.HUB_FIRST);
    Outcome hubLast = run(Order.HUB_LAST);

    assertThat(hubLast).isEqualTo(hubFirst);
    // the run did something: node-c joined, the rules changed twice, one node acknowledged the latest
    assertThat(hubFirst.revisions()).containsOnlyKeys("node-a", "node-b", "node-c");
    assertThat(hubFirst.required()).containsOnlyKeys("node-a", "node-c");
    assertThat(hubFirst.enforced()).isEqualTo("1/2");
    assertThat(hubFirst.gauges()).contains("cilium_endpoint 4.0", "cilium_policy 1.0");
  }

  @Test
  void shouldHandListenersASnapshotThatLaterChangesDoNotReach() {
    Outcome o = run(Order.HUB_FIRST);

    // taken before the policy: three endpoints, the deathstar open to all
    assertThat(o.firstSnapshotEndpoints()).isEqualTo(3);
    assertThat(o.firstDeathstarIngress().enforcing()).isFalse();
  }

  private static Outcome run(Order order) {
    PolicyEngine engine = StarWars.cluster();
    NodeStateHub hub = new NodeStateHub("epoch", 16);
    PolicyValidity validity = new PolicyValidity();
    PolicyStatusTracker tracker = new PolicyStatusTracker(hub, validity, new MutableClock(), 100);
    OperatorMetrics metrics = new OperatorMetrics();
    List<PolicySnapshot> seen = new ArrayList<>();
    DesiredStateListener recorder = (snapshot, nodes) -> seen.add(snapshot);
    try (EngineWriter writer = new EngineWriter(engine)) {
      if (order == Order.HUB_FIRST) {
        hub.addListener(tracker);
        writer.addListener(hub);
        writer.addListener(metrics);
        writer.addListener(recorder);
      } else {
        writer.addListener(recorder);
        writer.addListener(metrics);
        writer.addListener(hub);
        hub.addListener(tracker);
      }
      writer.apply(e -> {}); // the initial state, as the operator publishes it before the first change
      writer.apply(StarWars::applyRule1);
      validity.record(StarWars.RULE1, 1L, List.of());
      Endpoint second = StarWars.pod("deathstar-2", "10.0.3.10", Map.of("org", "empire", "class", "deathstar"), "node-c");
      writer.applyToEndpoint(second.key(), e -> e.upsertEndpoint(second));
      ack(tracker, hub, "node-a");
      ack(tracker, hub, "node-c");
      writer.apply(EngineListenerOrderTest::openPort8080); // both nodes must acknowledge again
      validity.record(StarWars.RULE1, 2L, List.of());
      ack(tracker, hub, "node-a");

      Map<String, Long> revisions = new TreeMap<>();
      Map<String, String> states = new TreeMap<>();
      for (String node : hub.nodes()) {
        NodeRevisions.Published p = hub.find(node).current();
        revisions.put(node, p.revision());
        states.put(node, p.state().snapshot("epoch", p.revision(), true).toString());
      }
      List<String> gauges =
          metrics.scrape().lines()
              .filter(l -> l.startsWith("cilium_endpoint ") || l.startsWith("cilium_policy ") || l.startsWith("cilium_identity{"))
              .sorted()
              .collect(Collectors.toList());
      PolicySnapshot first = seen.get(0);
      return new Outcome(
          revisions,
          states,
          new LinkedHashMap<>(new TreeMap<>(tracker.requiredRevisions(StarWars.RULE1))),
          tracker.desired(StarWars.RULE1).enforcement.nodes,
          gauges,
          first.endpoints().size(),
          first.ruleMap(StarWars.deathstar().key(), Direction.INGRESS));
    }
  }

  /** Rule 1 with port 8080 instead of 80. */
  private static void openPort8080(PolicyEngine engine) {
    try {
      CiliumNetworkPolicy cnp =
          new ObjectMapper(new YAMLFactory())
              .readValue(
                  RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml").toFile(), CiliumNetworkPolicy.class);
      cnp.getSpec().ingress.get(0).toPorts.get(0).ports.get(0).port = "8080";
      engine.upsertPolicy(StarWars.RULE1, List.of(cnp.getSpec()), List.of("spec"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void ack(PolicyStatusTracker tracker, NodeStateHub hub, String node) {
    long revision = hub.find(node).current().revision();
    tracker.reported(new AgentReport(node, revision, true, "", Map.of(), Set.of(), true, ""));
  }
}
