package io.hexgate.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.cli.HexgateCli;
import org.junit.jupiter.api.Test;

class OperatorBenchCommandTest {
  @Test
  void tinyBenchPrintsEveryMeasurement() {
    StdoutRun run = StdoutRun.of(
        "bench", "operator", "--pods", "40", "--nodes", "4", "--creates", "2", "--steady-seconds", "1");
    // 0 when every target is met, 1 when one is missed: timing is not asserted here.
    assertThat(run.code()).isIn(0, 1);
    assertThat(run.out())
        .contains("pods=40 nodes=4 creates=2", "create->all ACKed median", "pod cache", "heap after GC",
            "status writes at steady state 0/min");
  }

  @Test
  void podsWithoutNodesIsAUsageError() {
    assertThat(HexgateCli.commandLine().execute("bench", "operator", "--pods", "10")).isEqualTo(2);
  }
}
