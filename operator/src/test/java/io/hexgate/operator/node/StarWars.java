package io.hexgate.operator.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** The Star Wars demo as engine state: the deathstar on node-a, the ships on node-b. */
final class StarWars {
  static final PolicyRef RULE1 = PolicyRef.cnp("default", "rule1");

  private StarWars() {}

  static Endpoint deathstar() {
    return pod("deathstar", "10.0.1.10", Map.of("org", "empire", "class", "deathstar"), "node-a");
  }

  static Endpoint tiefighter() {
    return pod("tiefighter", "10.0.2.10", Map.of("org", "empire", "class", "tiefighter"), "node-b");
  }

  static Endpoint xwing() {
    return pod("xwing", "10.0.2.11", Map.of("org", "alliance", "class", "xwing"), "node-b");
  }

  static Endpoint pod(String name, String ip, Map<String, String> labels, String node) {
    return new Endpoint("default", name, ip, labels, "default", node, List.of());
  }

  static PolicyEngine cluster() {
    PolicyEngine engine = new PolicyEngine();
    engine.upsertNamespace("default", Map.of());
    engine.upsertEndpoint(deathstar());
    engine.upsertEndpoint(tiefighter());
    engine.upsertEndpoint(xwing());
    return engine;
  }

  static void applyRule1(PolicyEngine engine) {
    try {
      CiliumNetworkPolicy cnp =
          new ObjectMapper(new YAMLFactory())
              .readValue(
                  RepoRoot.find().resolve("examples/starwars/sw_l3_l4_policy.yaml").toFile(),
                  CiliumNetworkPolicy.class);
      engine.upsertPolicy(RULE1, List.of(cnp.getSpec()), List.of("spec"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
