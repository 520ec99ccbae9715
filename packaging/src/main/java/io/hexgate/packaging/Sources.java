package io.hexgate.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What the packaging is generated from, read fresh on every run: the CRDs of {@code crds/}, the operator's
 * RBAC rules (the ClusterRole and Role of {@code config/rbac}, which the operator's least-privilege test
 * keeps exact) and the Star Wars policy shown as an example.
 *
 * @param clusterRules the ClusterRole's rules
 * @param namespacedRules the Role's rules, in the operator's own namespace
 */
record Sources(List<Crd> crds, ArrayNode clusterRules, ArrayNode namespacedRules, ObjectNode starWarsPolicy) {
  static final String CLUSTER_ROLE = "config/rbac/hexgate-operator.clusterrole.yaml";
  static final String ROLE = "config/rbac/hexgate-operator.role.yaml";
  static final String STAR_WARS_POLICY = "examples/starwars/sw_l3_l4_policy.yaml";

  static Sources read(Path root) {
    return new Sources(
        crds(root.resolve("crds")),
        rules(root.resolve(CLUSTER_ROLE), "ClusterRole"),
        rules(root.resolve(ROLE), "Role"),
        (ObjectNode) Yaml.read(root.resolve(STAR_WARS_POLICY)));
  }

  Optional<Crd> crd(String name) {
    return crds.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  private static List<Crd> crds(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      List<Crd> crds =
          files.filter(f -> f.getFileName().toString().endsWith(".yml") || f.getFileName().toString().endsWith(".yaml"))
              .sorted()
              .map(f -> new Crd(f.getFileName().toString(), (ObjectNode) Yaml.read(f)))
              .toList();
      if (crds.isEmpty()) {
        throw new IllegalStateException(dir + " holds no CRD");
      }
      return crds;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  private static ArrayNode rules(Path file, String kind) {
    JsonNode role = Yaml.read(file);
    if (!kind.equals(role.path("kind").asText()) || !role.path("rules").isArray()) {
      throw new IllegalStateException(file + " is not a " + kind + " with rules");
    }
    return (ArrayNode) role.get("rules");
  }
}
