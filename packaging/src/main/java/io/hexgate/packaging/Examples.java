package io.hexgate.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The example objects the console offers (the CSV's alm-examples) and deploy/ and the chart create: the
 * HexgateConfig {@code default} and Cilium's Star Wars {@code rule1}. Each is offered only while its CRD is
 * in crds/, since OLM refuses an example of an API the bundle does not provide.
 */
final class Examples {
  private Examples() {}

  static final String HEXGATE_CONFIG = "hexgateconfigs.hexgate.io";
  static final String CILIUM_NETWORK_POLICY = "ciliumnetworkpolicies.cilium.io";

  static List<ObjectNode> all(Sources sources) {
    List<ObjectNode> examples = new ArrayList<>();
    hexgateConfig(sources).ifPresent(examples::add);
    if (sources.crd(CILIUM_NETWORK_POLICY).isPresent()) {
      examples.add(sources.starWarsPolicy().deepCopy());
    }
    return examples;
  }

  /**
   * The HexgateConfig {@code default}: its spec holds each top-level field the schema gives a default for, at
   * that default, so the example shows what an empty spec means.
   */
  static Optional<ObjectNode> hexgateConfig(Sources sources) {
    return sources.crd(HEXGATE_CONFIG).map(crd -> {
      ObjectNode config = Yaml.header(crd.group() + "/" + crd.storageVersion(), crd.kind(), "default", null, null);
      ObjectNode spec = config.putObject("spec");
      for (Crd.Property p : crd.properties("spec")) {
        JsonNode value = p.schema().get("default");
        if (value != null) {
          spec.set(p.name(), value.deepCopy());
        }
      }
      return config;
    });
  }

  /** The example of {@code crd}'s kind, if there is one. */
  static Optional<ObjectNode> of(Crd crd, List<ObjectNode> examples) {
    return examples.stream()
        .filter(e -> e.path("kind").asText().equals(crd.kind())
            && e.path("apiVersion").asText().startsWith(crd.group() + "/"))
        .findFirst();
  }
}
