package io.hexgate.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.cli.HexgateCli;
import org.junit.jupiter.api.Test;

class ProxyBenchCommandTest {
  @Test
  void badOptionsAreUsageErrorsBeforeAnythingRuns() {
    assertThat(HexgateCli.commandLine().execute("bench", "proxy", "--connections", "1")).isEqualTo(2);
    assertThat(HexgateCli.commandLine().execute("bench", "proxy", "--idle-connections", "50000")).isEqualTo(2);
  }

  @Test
  void isABenchSubcommand() {
    StdoutRun run = StdoutRun.of("bench", "--help");
    assertThat(run.code()).isZero();
    assertThat(run.out()).contains("proxy", "Measure the L7 proxy on the lab's path");
  }
}
