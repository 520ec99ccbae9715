package io.hexgate.datapath.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing a directory and all below it: pins on bpffs, /etc/netns entries, a lab's state. */
public final class FileTrees {
  private FileTrees() {}

  /**
   * Deletes {@code dir} and everything in it, bottom-up (on bpffs unlinking a pin drops its reference, and
   * a directory goes once it is empty); nothing when it does not exist.
   */
  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause(); // a file that went while the walk listed its directory
    }
  }
}
