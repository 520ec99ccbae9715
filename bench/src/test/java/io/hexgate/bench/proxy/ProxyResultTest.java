package io.hexgate.bench.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.bench.proxy.ProxyBenchmark.Metric;
import io.hexgate.bench.proxy.ProxyBenchmark.Setup;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a run's rounds become the report's verdicts (no network needed). */
class ProxyResultTest {
  private static final ProxyBenchmark.Config CONFIG = new ProxyBenchmark.Config("t-", 3, 1, 32, 10_000);

  private static Map<Metric, double[]> setup(double[] rate, double[] p50, double[] p99, double[] p99Half) {
    Map<Metric, double[]> m = new EnumMap<>(Metric.class);
    m.put(Metric.RATE, rate);
    m.put(Metric.P50, p50);
    m.put(Metric.P99, p99);
    m.put(Metric.P99_HALF_RATE, p99Half);
    m.put(Metric.HALF_RATE_ACHIEVED, new double[] {50, 50, 50});
    m.put(Metric.GC_MILLIS, new double[3]);
    return m;
  }

  @Test
  void targetsComparePairedRoundsAndTheHeapIsJudgedAtTheRequestedCount() {
    Map<Setup, Map<Metric, double[]>> v = new EnumMap<>(Setup.class);
    // the machine slows down by half in round 2: the ratios within a round stay put
    v.put(Setup.DIRECT, setup(new double[] {100, 50, 100}, new double[] {20, 40, 20}, new double[] {50, 90, 50},
        new double[] {500, 900, 500}));
    v.put(Setup.HEXGATE, setup(new double[] {60, 30, 60}, new double[] {70, 90, 90}, new double[] {150, 300, 250},
        new double[] {1000, 2400, 1600}));
    v.put(Setup.NGINX, setup(new double[] {40, 20, 40}, new double[] {60, 80, 60}, new double[] {100, 200, 100},
        new double[] {800, 1500, 800}));
    v.put(Setup.RELAY, setup(new double[] {70, 30, 64}, new double[] {40, 60, 40}, new double[] {80, 150, 80},
        new double[] {600, 1000, 600}));
    // 5,000 connections measured, 20 MiB each way from 10 MiB: 10,000 would be 30 MiB
    var heap = new IdleConnections.Heap(10_000, 5_000, 5_000, 5_000, 10L << 20, 20L << 20, "limit", null);
    ProxyResult r = new ProxyResult(CONFIG, v, Map.of(), 50, null, heap);

    assertThat(r.ratio(Setup.HEXGATE, Setup.NGINX, Metric.RATE)).isEqualTo(1.5);
    assertThat(r.added(Setup.HEXGATE, Setup.DIRECT, Metric.P50)).isEqualTo(50);
    assertThat(heap.usedMiB()).isEqualTo(30);
    assertThat(r.targets()).extracting(ProxyResult.Target::met).containsExactly(true, true, true, false, false, true);
    // p99 added per round: 100, 210, 200 µs
    assertThat(r.targets().get(3).measured()).isEqualTo("200 µs");
    assertThat(r.allMet()).isFalse();
    assertThat(r.markdown()).contains("| Hexgate proxy (L7 rule) | 60 | 0.60× |", "(extrapolated from 5,000)");
    // the relay is a ceiling, not a target: relay / nginx per round 1.75, 1.5, 1.6; Hexgate / relay 0.86, 1, 0.94
    assertThat(r.ceiling()).extracting(ProxyResult.Ceiling::measured)
        .containsExactly("1.600× (≥ 1.5×: the target is below the ceiling in this run)", "0.938×");
    assertThat(r.markdown()).contains("| nginx L4 relay, no HTTP (ceiling) | 64 | 0.64× |",
        "| nginx L4 relay vs nginx reverse proxy, requests/s | 1.600× (≥ 1.5×");
  }

  @Test
  void aRelayBelowTheTargetSaysNoHttpProxyCanReachItWhileTheTargetItselfIsStillJudged() {
    Map<Setup, Map<Metric, double[]>> v = new EnumMap<>(Setup.class);
    double[] p = {20, 20, 20};
    v.put(Setup.DIRECT, setup(new double[] {100, 100, 100}, p, p, p));
    v.put(Setup.HEXGATE, setup(new double[] {30, 15, 30}, p, p, p));
    v.put(Setup.NGINX, setup(new double[] {40, 20, 40}, p, p, p));
    // relay / nginx per round 1.25, 1.5, 1.4: the rounds vary, the median is below the target
    v.put(Setup.RELAY, setup(new double[] {50, 30, 56}, p, p, p));
    ProxyResult r = new ProxyResult(CONFIG, v, Map.of(), 50, null, null);

    assertThat(r.ceiling()).extracting(ProxyResult.Ceiling::measured).containsExactly(
        "1.400× (< 1.5×: in this run even a relay that reads no HTTP stays below the target)", "0.536×");
    assertThat(r.targets().get(0).measured()).isEqualTo("0.75×");
    assertThat(r.targets()).hasSize(5).noneMatch(t -> t.what().contains("relay"));
  }

  @Test
  void aProxyThatNeverAnsweredLeavesEveryTargetUnmeasuredNotFailed() {
    Map<Setup, Map<Metric, double[]>> v = new EnumMap<>(Setup.class);
    for (Setup s : Setup.values()) {
      v.put(s, setup(new double[] {100, 100, 100}, new double[] {20, 20, 20}, new double[] {50, 50, 50},
          new double[] {500, 500, 500}));
    }
    var heap = IdleConnections.Heap.notMeasured(10_000, "not measured: no proxy answered");
    ProxyResult r = new ProxyResult(CONFIG, v, Map.of(Setup.HEXGATE, "no proxy answered: no answer within 2 s"), 50,
        null, heap);
    assertThat(r.targets()).hasSize(6).allMatch(t -> t.met() == null);
    assertThat(r.allMet()).isFalse();
    assertThat(r.markdown()).contains("| Hexgate proxy (L7 rule) | no proxy answered: no answer within 2 s |",
        "not measured: the proxy path did not answer");
    assertThat(r.ceiling()).extracting(ProxyResult.Ceiling::measured).containsExactly(
        "1.000× (< 1.5×: in this run even a relay that reads no HTTP stays below the target)",
        "not measured: Hexgate proxy (L7 rule) left out (see above)");
  }
}
