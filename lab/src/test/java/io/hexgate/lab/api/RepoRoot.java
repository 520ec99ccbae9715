package io.hexgate.lab.api;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's top directory, where {@code crds/} and {@code examples/} live. */
final class RepoRoot {
  private RepoRoot() {}

  static Path find() {
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("crds")) && Files.isRegularFile(dir.resolve("mvnw"))) {
        return dir.normalize();
      }
    }
    throw new IllegalStateException("no directory holding crds/ and mvnw at or above " + System.getProperty("user.dir"));
  }

  static Path starWars(String file) {
    return find().resolve("examples/starwars").resolve(file);
  }
}
