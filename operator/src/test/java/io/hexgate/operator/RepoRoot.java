package io.hexgate.operator;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's top directory, where {@code crds/} and {@code mvnw} live. */
public final class RepoRoot {
  private RepoRoot() {}

  public static Path find() {
    String configured = System.getProperty("hexgate.root");
    if (configured != null && isRoot(Path.of(configured))) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (isRoot(dir)) {
        return dir.normalize();
      }
    }
    throw new IllegalStateException(
        "no directory holding crds/ and mvnw at or above " + System.getProperty("user.dir"));
  }

  /** A file of Cilium's Star Wars demo under {@code examples/starwars}. */
  public static Path starWars(String file) {
    return find().resolve("examples/starwars").resolve(file);
  }

  private static boolean isRoot(Path dir) {
    return Files.isDirectory(dir.resolve("crds")) && Files.isRegularFile(dir.resolve("mvnw"));
  }
}
