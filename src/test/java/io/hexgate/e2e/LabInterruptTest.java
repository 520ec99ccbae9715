package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.netns.NetNs;
import io.hexgate.lab.LabCleanup;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C during {@code hexgate lab up}, once node namespaces exist: the machine is left as it was. Needs root;
 * skips with the reason otherwise.
 */
class LabInterruptTest {
  private static final String PREFIX = "hgl-i";
  @TempDir Path state;

  @BeforeEach
  void rootOnly() {
    Assumptions.assumeTrue(NetNs.unavailable().isEmpty(), () -> "skipped: " + NetNs.unavailable().orElse(""));
  }

  @AfterEach
  void cleanUp() {
    if (NetNs.unavailable().isEmpty()) {
      LabCleanup.clean(PREFIX);
    }
  }

  @Test
  void ctrlCWhileStartingLeavesNothingBehind() throws Exception {
    Path root = Path.of(System.getProperty("hexgate.root", ".."));
    Path out = state.resolve("up.out");
    Process up = new ProcessBuilder(
            ProcessHandle.current().info().command().orElse("java"), "-XX:TieredStopAtLevel=1", "-Dhexgate.home=" + root,
            "-cp", System.getProperty("java.class.path"),
            "io.hexgate.cli.HexgateCli", "lab", "up", "--prefix", PREFIX, "--state-dir", state.resolve("lab").toString(),
            "--crds", root.resolve("crds").toString())
        .redirectOutput(out.toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!(Files.exists(out) && Files.readString(out, StandardCharsets.UTF_8).contains("starting the operator"))) {
      assertThat(up.isAlive()).as(Files.exists(out) ? Files.readString(out) : "no output").isTrue();
      assertThat(System.nanoTime()).as("the lab never got to its operator").isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(LabCleanup.leftovers(PREFIX).namespaces()).contains(PREFIX + "node-1", PREFIX + "node-2");

    new ProcessBuilder("kill", "-INT", Long.toString(up.pid())).start().waitFor();
    assertThat(up.waitFor(120, TimeUnit.SECONDS)).as("lab up did not exit after SIGINT").isTrue();
    String printed = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(printed).contains("interrupted; stopping the lab");
    LabCleanup.Removed left = LabCleanup.leftovers(PREFIX);
    assertThat(left.nothing()).as("left behind: " + left + "\n" + printed).isTrue();
    assertThat(ProcessHandle.allProcesses().filter(p -> cmdline(p).contains(state.toString())).toList()).isEmpty();
  }

  private static String cmdline(ProcessHandle p) {
    try {
      return String.join(" ", List.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
          StandardCharsets.UTF_8).split("\0")));
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
