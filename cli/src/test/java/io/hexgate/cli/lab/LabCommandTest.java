package io.hexgate.cli.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.cli.HexgateCli;
import io.hexgate.lab.LabLauncher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabCommandTest {
  @TempDir Path state;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = HexgateCli.commandLine().execute(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void badOptionsAreRefusedNamingTheOption() {
    Run nodes = run("lab", "up", "--nodes", "0", "--state-dir", state.toString());
    assertThat(nodes.code()).isEqualTo(2);
    assertThat(nodes.err()).contains("--nodes: 0 is not within 1..245");
    Run prefix = run("lab", "up", "--prefix", "much-too-long", "--state-dir", state.toString());
    assertThat(prefix.code()).isEqualTo(2);
    assertThat(prefix.err()).contains("--prefix: 'much-too-long' must be 1 to 8 characters");
    Run hexgate = run("lab", "up", "--hexgate", "sideways", "--state-dir", state.toString());
    assertThat(hexgate.code()).isEqualTo(2);
    assertThat(hexgate.err()).contains("--hexgate: 'sideways' is not one of in-process, from-images");
    // installed from its images, Hexgate needs the real control plane (its TokenReviews, RBAC) and the images
    Run embedded = run("lab", "up", "--hexgate", "from-images", "--control-plane", "embedded", "--state-dir", state.toString());
    assertThat(embedded.code()).isEqualTo(2);
    assertThat(embedded.err()).contains("Hexgate from its images needs the real control plane");
    Run noImages = run("lab", "up", "--hexgate", "from-images", "--images", state.resolve("none").toString(), "--state-dir", state.toString());
    assertThat(noImages.code()).isEqualTo(2);
    assertThat(noImages.err()).contains("and the images in " + state.resolve("none"));
  }

  @Test
  void execWithoutALabOrACommandSaysWhatIsMissing() {
    String root = LabLauncher.rootProblem();
    Run noLab = run("lab", "exec", "--state-dir", state.toString(), "xwing", "--", "true");
    Run noCommand = run("lab", "exec", "--state-dir", state.toString(), "xwing");
    if (root != null) {
      // without root every lab command stops at once, saying why
      assertThat(noLab.code()).isEqualTo(2);
      assertThat(noLab.err()).contains("network namespaces need root");
      return;
    }
    assertThat(noLab.code()).isEqualTo(1);
    assertThat(noLab.err()).contains("no lab is running; start one with `hexgate lab up`");
    assertThat(noCommand.code()).isEqualTo(2);
    assertThat(noCommand.err()).contains("give the command after --");
  }

  @Test
  void downWithNothingRunningSaysSo() {
    Run down = run("lab", "down", "--state-dir", state.toString());
    if (LabLauncher.rootProblem() != null) {
      assertThat(down.code()).isEqualTo(2);
      assertThat(down.err()).contains("network namespaces need root");
    } else {
      assertThat(down.code()).isZero();
      assertThat(down.out()).contains("No lab was running");
    }
  }
}
