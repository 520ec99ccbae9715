package io.hexgate.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.cli.HexgateCli;
import org.junit.jupiter.api.Test;

class PolicyBenchCommandTest {
  @Test
  void tinyBenchPrintsReport() {
    StdoutRun run = StdoutRun.of(
        "bench", "policy", "-q", "--pods", "100", "--label-sets", "20", "--policies", "10",
        "--warmup", "0", "--runs", "1", "--ops", "10", "--op-warmup", "0");
    // 0 when every target is met, 1 when one is missed: timing is not asserted here.
    assertThat(run.code()).isIn(0, 1);
    assertThat(run.out())
        .contains("100 pods in 20 label sets, 10 policies", "Full computation", "Targets", "retained heap");
  }

  @Test
  void badSizesAreUsageErrors() {
    assertThat(HexgateCli.commandLine().execute("bench", "policy", "--pods", "10", "--label-sets", "20")).isEqualTo(2);
  }
}
