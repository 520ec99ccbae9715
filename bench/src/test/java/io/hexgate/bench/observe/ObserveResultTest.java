package io.hexgate.bench.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The report judges the median of the one-follower runs and shows every run. */
class ObserveResultTest {
  private static ObserveResult.Followed run(double pushed, String failure) {
    return new ObserveResult.Followed("loopback TCP", pushed, pushed / 4, pushed / 20, pushed / 5, failure);
  }

  private static ObserveResult result(List<ObserveResult.Followed> tcp) {
    return new ObserveResult(ObserveBenchmark.Config.DEFAULT, 0.25, new ObserveResult.Memory(100, 0, 60_000, 700),
        List.of(), tcp, List.of(run(800_000, null)),
        new ObserveResult.Sustained(100_000, 6_000_000, 60, 3, 1_500_000, 1_500_000, 0, 0, null),
        new ObserveResult.Relay(10, 300, 3000, 3000, 0, 0, 0.4, 1, 20, 22, 1500, 20, 22, 30, 1e5, 1e4, 0, null));
  }

  @Test
  void theMedianRunIsJudgedAndEveryRunIsShown() {
    ObserveResult r = result(List.of(run(450_000, null), run(700_000, null), run(520_000, null)));

    assertThat(r.tcp().pushedPerSecond()).isEqualTo(520_000);
    assertThat(r.throughputMet()).isTrue();
    assertThat(r.markdown())
        .contains("| 520,000 flows/s (median of 3 runs, 450,000–700,000) | yes |")
        .contains("| loopback TCP | 450,000 |")
        .contains("| loopback TCP | 700,000 |");
  }

  @Test
  void aFailedRunCountsAsTheSlowest() {
    ObserveResult r = result(List.of(run(900_000, "UNAVAILABLE"), run(600_000, null), run(480_000, null)));

    assertThat(r.tcp().pushedPerSecond()).isEqualTo(480_000);
    assertThat(r.throughputMet()).isFalse();
  }
}
