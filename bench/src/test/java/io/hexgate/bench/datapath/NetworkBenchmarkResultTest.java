package io.hexgate.bench.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.bench.datapath.NetworkBenchmark.Metric;
import io.hexgate.bench.datapath.NetworkBenchmark.Result;
import io.hexgate.bench.datapath.NetworkBenchmark.Setup;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a run's slices become ratios and verdicts on the targets (no network needed). */
class NetworkBenchmarkResultTest {
  private static final NetworkBenchmark.Config CONFIG = new NetworkBenchmark.Config("t-", java.time.Duration.ofMillis(500), 5,
      1_000, 10_000, List.of(Setup.EMPTY, Setup.HEXGATE_SMALL, Setup.HEXGATE_LARGE, Setup.NFTABLES),
      List.of(Metric.PARALLEL_REQUESTS), false);

  private static Result result(double[] empty, double[] small, double[] large, double[] nft) {
    Map<Setup, Map<Metric, double[]>> v = new EnumMap<>(Setup.class);
    v.put(Setup.EMPTY, Map.of(Metric.PARALLEL_REQUESTS, empty));
    v.put(Setup.HEXGATE_SMALL, Map.of(Metric.PARALLEL_REQUESTS, small));
    v.put(Setup.HEXGATE_LARGE, Map.of(Metric.PARALLEL_REQUESTS, large));
    v.put(Setup.NFTABLES, Map.of(Metric.PARALLEL_REQUESTS, nft));
    return new Result(CONFIG, v);
  }

  @Test
  void ratiosArePairedWithinARoundAndSummarisedByTheirMedianAndQuartiles() {
    // the machine's speed halves in round 3; the ratios within each round do not move with it
    Result r = result(new double[] {100, 100, 50, 100, 100}, new double[] {98, 99, 49.5, 97, 96},
        new double[] {100, 100, 50, 100, 100}, new double[] {100, 100, 50, 100, 100});
    assertThat(r.ratio(Setup.HEXGATE_SMALL, Setup.EMPTY, Metric.PARALLEL_REQUESTS)).isEqualTo(0.98);
    assertThat(r.quartiles(Setup.HEXGATE_SMALL, Setup.EMPTY, Metric.PARALLEL_REQUESTS)).containsExactly(0.97, 0.99);
    assertThat(r.targets()).extracting(Result.Target::what).containsExactly(
        "(b) Hexgate, 1000 rules: HTTP requests/s (wrk, 16 connections) ≥ 0.97× the empty program's",
        "(c) Hexgate, 10000 rules: HTTP requests/s (wrk, 16 connections) no worse than the nftables set's");
    assertThat(r.targets()).allMatch(Result.Target::met);
  }

  @Test
  void noWorseIsMetByATieWithinTheSpreadButNotByAClearLoss() {
    double[] empty = {100, 100, 100, 100, 100};
    Result tie = result(empty, empty, new double[] {99, 101, 98, 100.5, 99.5}, empty);
    Result.Target t = tie.targets().get(1);
    assertThat(t.measured()).isEqualTo(0.995);
    assertThat(t.tie()).isTrue();
    assertThat(t.met()).isTrue();
    assertThat(tie.markdown()).contains("yes, a tie");

    Result loss = result(empty, new double[] {95, 96, 94, 96, 95}, new double[] {97, 98, 96, 98.5, 97}, empty);
    assertThat(loss.targets()).noneMatch(Result.Target::met);
    assertThat(loss.markdown()).contains("**no**");
  }
}
