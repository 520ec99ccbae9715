package io.hexgate.bench.proxy;

import io.hexgate.bench.proxy.ProxyBenchmark.Config;
import io.hexgate.bench.proxy.ProxyBenchmark.Metric;
import io.hexgate.bench.proxy.ProxyBenchmark.Setup;
import io.hexgate.bench.traffic.PairedRounds;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One run of the proxy benchmark: values[setup][metric] one per round, the setups that did not answer and
 * why, the rate the half-rate runs aimed at, and the heap reading (null: not asked for).
 *
 * @param refusal what a request outside the L7 rule got through the proxy (null: the proxy did not answer)
 */
public record ProxyResult(Config config, Map<Setup, Map<Metric, double[]>> values, Map<Setup, String> missing,
    double halfRate, String refusal, IdleConnections.Heap heap) {
  static final double HEAP_LIMIT_MIB = 256;
  /** The requests/s target against the nginx reverse proxy, which the ceiling rows put in reach or not. */
  static final double NGINX_RATE_TARGET = 1.5;

  public ProxyResult {
    values = Map.copyOf(values);
    missing = Map.copyOf(missing);
  }

  static double median(double[] v) {
    return PairedRounds.median(v);
  }

  public boolean measured(Setup s) {
    return !missing.containsKey(s);
  }

  public double median(Setup s, Metric m) {
    return median(values.get(s).get(m));
  }

  /** Median over rounds of a / b within a round. */
  public double ratio(Setup a, Setup b, Metric m) {
    return median(PairedRounds.ratios(values.get(a).get(m), values.get(b).get(m)));
  }

  /** Median over rounds of a − b within a round: the latency {@code a} adds to {@code b}. */
  public double added(Setup a, Setup b, Metric m) {
    return median(PairedRounds.differences(values.get(a).get(m), values.get(b).get(m)));
  }

  /**
   * One target; {@code met} null when it could not be measured ({@code measured} then says why).
   */
  public record Target(String what, String measured, Boolean met) {}

  public List<Target> targets() {
    List<Target> t = new ArrayList<>();
    boolean proxy = measured(Setup.HEXGATE);
    String why = proxy ? null : "not measured: the proxy path did not answer (see above)";
    if (proxy && measured(Setup.NGINX)) {
      double r = ratio(Setup.HEXGATE, Setup.NGINX, Metric.RATE);
      t.add(new Target("Hexgate ≥ 1.5× nginx's requests/s", String.format(Locale.ROOT, "%.2f×", r),
          r >= NGINX_RATE_TARGET));
    } else {
      t.add(new Target("Hexgate ≥ 1.5× nginx's requests/s", proxy ? "not measured: nginx left out (see above)" : why,
          null));
    }
    t.add(ratioTarget("Hexgate ≥ 0.5× direct requests/s", why, 0.5));
    t.add(addedTarget("added p50 unloaded ≤ 60 µs", why, Metric.P50, 60));
    t.add(addedTarget("added p99 unloaded ≤ 150 µs", why, Metric.P99, 150));
    t.add(addedTarget("added p99 at half the direct maximum rate ≤ 1 ms", why, Metric.P99_HALF_RATE, 1000));
    if (heap != null) {
      String what = String.format(Locale.ROOT, "heap < %.0f MiB with %,d connections open through the proxy",
          HEAP_LIMIT_MIB, heap.requested());
      if (heap.answered() == 0) {
        t.add(new Target(what, proxy ? "not measured: no idle connection was answered (see above)" : why, null));
      } else {
        boolean all = heap.open() == heap.opened();
        t.add(new Target(what, String.format(Locale.ROOT, "%.1f MiB%s%s", heap.usedMiB(),
            heap.extrapolated() ? String.format(Locale.ROOT, " (extrapolated from %,d)", heap.opened()) : "",
            all ? "" : String.format(Locale.ROOT, " (only %,d open)", heap.open())),
            all && heap.usedMiB() < HEAP_LIMIT_MIB));
      }
    }
    return t;
  }

  /**
   * One comparison with the L4 relay, which bounds what any proxy on this path can do; not a target:
   * {@code measured} is the ratio, or why it could not be taken.
   */
  public record Ceiling(String what, String measured) {}

  /**
   * The relay against the nginx reverse proxy (the rate target is within this machine's reach only if the
   * relay itself reaches it) and Hexgate against the relay (the share of the ceiling it reaches).
   */
  public List<Ceiling> ceiling() {
    String reach = "";
    if (measured(Setup.RELAY) && measured(Setup.NGINX)) {
      reach = ratio(Setup.RELAY, Setup.NGINX, Metric.RATE) >= NGINX_RATE_TARGET
          ? String.format(Locale.ROOT, " (≥ %.1f×: the target is below the ceiling in this run)", NGINX_RATE_TARGET)
          : String.format(Locale.ROOT,
              " (< %.1f×: in this run even a relay that reads no HTTP stays below the target)", NGINX_RATE_TARGET);
    }
    return List.of(
        new Ceiling("nginx L4 relay vs nginx reverse proxy, requests/s", rateMeasured(Setup.RELAY, Setup.NGINX, reach)),
        new Ceiling("Hexgate vs nginx L4 relay, requests/s", rateMeasured(Setup.HEXGATE, Setup.RELAY, "")));
  }

  /** The paired ratio of a's requests/s to b's, then {@code suffix}; or which of them was left out. */
  private String rateMeasured(Setup a, Setup b, String suffix) {
    for (Setup s : List.of(a, b)) {
      if (!measured(s)) {
        return "not measured: " + s.label + " left out (see above)";
      }
    }
    // three decimals: a ratio just under the target must not print as the target
    return String.format(Locale.ROOT, "%.3f×", ratio(a, b, Metric.RATE)) + suffix;
  }

  private Target ratioTarget(String what, String why, double required) {
    if (why != null) {
      return new Target(what, why, null);
    }
    double r = ratio(Setup.HEXGATE, Setup.DIRECT, Metric.RATE);
    return new Target(what, String.format(Locale.ROOT, "%.2f×", r), r >= required);
  }

  private Target addedTarget(String what, String why, Metric m, double limitMicros) {
    if (why != null) {
      return new Target(what, why, null);
    }
    double a = added(Setup.HEXGATE, Setup.DIRECT, m);
    return new Target(what, String.format(Locale.ROOT, "%.0f µs", a), a <= limitMicros);
  }

  /** Every target measured and met. */
  public boolean allMet() {
    return targets().stream().allMatch(t -> Boolean.TRUE.equals(t.met()));
  }

  public String markdown() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "After an unmeasured warm-up at saturation, %d rounds of one %d s wrk run per "
        + "setup (order shuffled each round); "
        + "saturation: wrk -t 2 -c %d; unloaded: wrk -t 1 -c 1 --latency; half rate: about %,.0f requests/s "
        + "(half the direct median), paced by a Lua delay() — approximate, the achieved rate is shown. Medians; "
        + "ratios and added latencies are medians of the values paired within a round. JVM GC ms: collection time of this JVM, which hosts the proxy, during the setup's runs of a round.%n%n",
        config.rounds(), config.seconds(), config.connections(), halfRate));
    b.append("| setup | requests/s | vs direct | p50 unloaded µs | added | p99 unloaded µs | added "
        + "| p99 at half rate µs | added | achieved rate/s | JVM GC ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Setup s : Setup.values()) {
      if (!measured(s)) {
        b.append("| ").append(s.label).append(" | ").append(missing.get(s)).append(" ||||||||||\n");
        continue;
      }
      boolean ref = s == Setup.DIRECT;
      b.append(String.format(Locale.ROOT, "| %s | %,.0f | %s | %.0f | %s | %.0f | %s | %.0f | %s | %,.0f | %.0f |%n", s.label,
          median(s, Metric.RATE), ref ? "1" : String.format(Locale.ROOT, "%.2f×", ratio(s, Setup.DIRECT, Metric.RATE)),
          median(s, Metric.P50), ref ? "" : added(s, Metric.P50), median(s, Metric.P99), ref ? "" : added(s, Metric.P99),
          median(s, Metric.P99_HALF_RATE), ref ? "" : added(s, Metric.P99_HALF_RATE),
          median(s, Metric.HALF_RATE_ACHIEVED), median(s, Metric.GC_MILLIS)));
    }
    if (refusal != null) {
      b.append('\n').append(refusal).append('\n');
    }
    if (heap != null) {
      b.append("\nHeap with idle connections through the proxy: ").append(heap.describe()).append('\n');
    }
    b.append("\n| ceiling (not a target) | measured |\n|---|---|\n");
    for (Ceiling c : ceiling()) {
      b.append("| ").append(c.what()).append(" | ").append(c.measured()).append(" |\n");
    }
    b.append("\n| target | measured | met |\n|---|---|---|\n");
    for (Target t : targets()) {
      b.append("| ").append(t.what()).append(" | ").append(t.measured()).append(" | ")
          .append(t.met() == null ? "not measured" : t.met() ? "yes" : "**no**").append(" |\n");
    }
    return b.toString();
  }

  private String added(Setup s, Metric m) {
    return String.format(Locale.ROOT, "%+.0f", added(s, Setup.DIRECT, m));
  }
}
