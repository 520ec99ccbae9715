package io.hexgate.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** bundle/, deploy/ and charts/hexgate are exactly what the generator makes from crds/ and config/rbac now. */
class PackagingUpToDateTest {

  @Test
  void committedPackagingMatchesTheGenerator() throws IOException {
    Path root = Repo.root();
    Map<String, String> generated = PackagingGenerator.generate(root);
    Set<String> paths = new TreeSet<>(generated.keySet());
    paths.addAll(PackagingGenerator.existing(root));
    List<String> problems = new ArrayList<>();
    for (String path : paths) {
      Path kept = root.resolve(path);
      if (!generated.containsKey(path)) {
        problems.add(path + " is no longer generated");
      } else if (!Files.exists(kept)) {
        problems.add(path + " is missing");
      } else if (!Files.readString(kept, StandardCharsets.UTF_8).equals(generated.get(path))) {
        problems.add(path + " is stale");
      }
    }
    assertThat(problems).as("regenerate with: " + PackagingGenerator.COMMAND).isEmpty();
  }
}
