package io.hexgate.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.cli.HexgateCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OperatorBenchCommandTest {
  @Test
  void tinyBenchPrintsEveryMeasurement() {
    PrintStream out = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      code = HexgateCli.commandLine().execute(
          "bench", "operator", "--pods", "40", "--nodes", "4", "--creates", "2", "--steady-seconds", "1");
    } finally {
      System.setOut(out);
    }
    // 0 when every target is met, 1 when one is missed: timing is not asserted here.
    assertThat(code).isIn(0, 1);
    assertThat(buf.toString(StandardCharsets.UTF_8))
        .contains("pods=40 nodes=4 creates=2", "create->all ACKed median", "pod cache", "heap after GC",
            "status writes at steady state 0/min");
  }

  @Test
  void podsWithoutNodesIsAUsageError() {
    assertThat(HexgateCli.commandLine().execute("bench", "operator", "--pods", "10")).isEqualTo(2);
  }
}
