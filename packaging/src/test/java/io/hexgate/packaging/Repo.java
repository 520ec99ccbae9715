package io.hexgate.packaging;

import java.nio.file.Files;
import java.nio.file.Path;

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
}
