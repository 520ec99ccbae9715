package io.hexgate.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CRDs committed under crds/ are exactly what the build generates from the model. */
class CrdsUpToDateTest {
  static final String REFRESH = "./mvnw -Pupdate-crds -pl operator process-classes";

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    Path root = RepoRoot.find();
    Path generated = root.resolve("operator/target/crds");
    Path committed = root.resolve("crds");
    assertThat(generated)
        .as("no generated CRDs: run ./mvnw -pl operator process-classes first")
        .isDirectoryContaining("glob:**.yml");

    Set<String> names = new TreeSet<>(ymlNames(generated));
    names.addAll(ymlNames(committed));
    List<String> problems = new ArrayList<>();
    for (String name : names) {
      Path fresh = generated.resolve(name);
      Path kept = committed.resolve(name);
      if (!Files.exists(fresh)) {
        problems.add("crds/" + name + " is no longer generated: delete it");
      } else if (!Files.exists(kept)) {
        problems.add("crds/" + name + " is missing: run " + REFRESH);
      } else if (!Arrays.equals(Files.readAllBytes(fresh), Files.readAllBytes(kept))) {
        problems.add("crds/" + name + " is stale: run " + REFRESH);
      }
    }
    assertThat(problems).as("crds/ differs from operator/target/crds").isEmpty();
  }

  private static Set<String> ymlNames(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).collect(Collectors.toSet());
    }
  }
}
