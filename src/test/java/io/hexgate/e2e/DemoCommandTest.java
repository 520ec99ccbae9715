package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hexgate.operator.RepoRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's main command, run the way a user runs it: through the ./hexgate launcher. */
class DemoCommandTest {
  @Test
  void readmeDemoCommandTellsTheStarWarsStoryAndExitsZero() throws IOException, InterruptedException {
    Path root = RepoRoot.find();
    assumeTrue(Files.exists(root.resolve("cli/target/hexgate.jar")), "the CLI jar is not built yet (run through ./mvnw verify)");
    Process p =
        new ProcessBuilder("bash", root.resolve("hexgate").toString(), "demo")
            .directory(root.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("demo finished in time").isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("xwing      POST /v1/request-landing    -> DENIED")
        .contains("tiefighter PUT  /v1/exhaust-port       -> DENIED  Access denied")
        .contains("Every step decided as Cilium's guide shows.");
  }
}
