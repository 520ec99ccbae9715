package io.hexgate.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The Debian base of the JVM images: {@code scripts/ensure-image-base.sh} returns the cached tar at
 * once, makes it when root, and otherwise says on stderr why it cannot (which the build log shows).
 */
final class ImageBase {
  static final String SCRIPT = "scripts/ensure-image-base.sh";

  private ImageBase() {}

  static Optional<Path> ensure(Path root, ImageLog log) throws IOException, InterruptedException {
    long started = System.nanoTime();
    Process p = new ProcessBuilder("bash", root.resolve(SCRIPT).toString())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    int exit = p.waitFor();
    if (exit != 0) {
      log.info(SCRIPT + " exited " + exit);
      return Optional.empty();
    }
    Path tar = Path.of(stdout.lines().reduce((a, b) -> b).orElse(""));
    if (!Files.isRegularFile(tar)) {
      throw new IOException(SCRIPT + " printed no image base tar: " + stdout);
    }
    log.info("image base " + tar + " (" + (System.nanoTime() - started) / 1_000_000 + " ms)");
    return Optional.of(tar);
  }
}
