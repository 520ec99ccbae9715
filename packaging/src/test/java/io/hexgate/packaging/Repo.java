package io.hexgate.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The repository's top directory, where crds/, config/rbac and mvnw are. */
final class Repo {
  private Repo() {}

  static Path root() {
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("crds")) && Files.isRegularFile(dir.resolve("mvnw"))) {
        return dir.normalize();
      }
    }
    throw new IllegalStateException("no directory holding crds/ and mvnw at or above " + System.getProperty("user.dir"));
  }

  /** Copies the tree under {@code from} to {@code to}. */
  static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
