package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.policy.PolicyEngine;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Rendering per node: only the named nodes, revisions only on change, the IP cache to every node. */
class NodeStateHubTest {
  private final PolicyEngine engine = StarWars.cluster();
  private final NodeStateHub hub = new NodeStateHub("e", 4);

  @Test
  void shouldRenderEveryNodeWhenNoNodeIsNamed() {
    hub.changed(engine.snapshot(), Set.of());
    assertThat(hub.nodes()).containsExactlyInAnyOrder("node-a", "node-b");
    assertThat(hub.find("node-b").current().state().endpoints()).hasSize(2);
    assertThat(hub.find("node-a").current().revision()).isEqualTo(1);
  }

  @Test
  void shouldRenderOnlyTheNamedNodesEndpoints() {
    hub.changed(engine.snapshot(), Set.of());
    StarWars.applyRule1(engine);
    hub.changed(engine.snapshot(), Set.of("node-b")); // the caller names the wrong node on purpose
    assertThat(hub.find("node-a").current().revision()).isEqualTo(1);
    hub.changed(engine.snapshot(), Set.of("node-a"));
    assertThat(hub.find("node-a").current().revision()).isEqualTo(2);
    assertThat(hub.find("node-a").current().state().policies()).containsExactly(StarWars.RULE1);
    assertThat(hub.find("node-b").current().revision()).isEqualTo(1);
  }

  @Test
  void shouldRenderOnlyTheNodesAPolicyChangeAffectsWhenNoNodeIsNamed() {
    hub.changed(engine.snapshot(), Set.of());
    long renders = hub.renders();
    NodeDesiredState nodeB = hub.find("node-b").current().state();

    StarWars.applyRule1(engine); // selects the deathstar, on node-a only
    hub.changed(engine.snapshot(), Set.of());

    assertThat(hub.find("node-a").current().revision()).isEqualTo(2);
    assertThat(hub.find("node-a").current().state().policies()).containsExactly(StarWars.RULE1);
    assertThat(hub.find("node-b").current().revision()).isEqualTo(1);
    assertThat(hub.find("node-b").current().state()).isSameAs(nodeB);
    assertThat(hub.renders() - renders).isEqualTo(1);

    engine.deletePolicy(StarWars.RULE1);
    hub.changed(engine.snapshot(), Set.of());
    assertThat(hub.find("node-a").current().revision()).isEqualTo(3);
    assertThat(hub.find("node-a").current().state().policies()).isEmpty();
    assertThat(hub.find("node-b").current().revision()).isEqualTo(1);

    // a new peer identity changes node-a's rule maps (rule1 allows org=empire) but not node-b's
    StarWars.applyRule1(engine);
    hub.changed(engine.snapshot(), Set.of());
    engine.upsertEndpoint(StarWars.pod("shuttle", "10.0.3.10", Map.of("org", "empire", "class", "shuttle"), "node-c"));
    hub.changed(engine.snapshot(), Set.of());
    NodeStateHub fresh = new NodeStateHub("f", 4);
    fresh.changed(engine.snapshot(), Set.of());
    for (String node : fresh.nodes()) {
      assertThat(hub.find(node).current().state().endpoints()).isEqualTo(fresh.find(node).current().state().endpoints());
    }
  }

  @Test
  void shouldGiveEveryKnownNodeTheNewIpCacheWithItsEndpointsUnchanged() {
    hub.changed(engine.snapshot(), Set.of());
    NodeRevisions idle = hub.node("node-c"); // an agent connected to a node without pods
    NodeDesiredState before = hub.find("node-a").current().state();

    engine.upsertEndpoint(StarWars.pod("xwing-2", "10.0.2.12", StarWars.xwing().labels(), "node-b"));
    hub.changed(engine.snapshot(), Set.of("node-b"));

    NodeDesiredState after = hub.find("node-a").current().state();
    assertThat(hub.find("node-a").current().revision()).isEqualTo(2);
    assertThat(after.endpoints()).isSameAs(before.endpoints());
    assertThat(after.ipcache().entries()).containsKey("10.0.2.12/32");
    assertThat(idle.current().state().ipcache().entries()).containsKey("10.0.2.12/32");
    assertThat(idle.current().state().endpoints()).isEmpty();
  }

  @Test
  void shouldKeepABoundedHistory() {
    hub.changed(engine.snapshot(), Set.of());
    for (int i = 0; i < 10; i++) {
      engine.upsertEndpoint(StarWars.pod("p" + i, "10.0.9." + i, Map.of("app", "p"), "node-a"));
      hub.changed(engine.snapshot(), Set.of("node-a"));
    }
    NodeRevisions a = hub.find("node-a");
    assertThat(a.current().revision()).isEqualTo(11);
    assertThat(a.historySize()).isEqualTo(4);
    assertThat(a.at(7)).isNull();
    assertThat(a.at(8)).isNotNull();
  }
}
