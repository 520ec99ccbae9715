package io.hexgate.bench.traffic;

import java.util.Arrays;

/**
 * Statistics of setups measured side by side in rounds: the machine's speed drifts between rounds, so one
 * setup is compared with another through the ratios (or differences) of the values of the same round, and
 * a run is summarised by medians and quartiles over rounds.
 */
public final class PairedRounds {
  private PairedRounds() {}

  /** values[setup][metric], one slot per round, for the setups and metrics measured. */
  public static <S extends Enum<S>, M extends Enum<M>> java.util.Map<S, java.util.Map<M, double[]>> table(
      Class<S> setupType, java.util.Collection<S> setups, Class<M> metricType, java.util.Collection<M> metrics, int rounds) {
    java.util.Map<S, java.util.Map<M, double[]>> values = new java.util.EnumMap<>(setupType);
    for (S s : setups) {
      java.util.Map<M, double[]> m = new java.util.EnumMap<>(metricType);
      for (M metric : metrics) {
        m.put(metric, new double[rounds]);
      }
      values.put(s, m);
    }
    return values;
  }

  public static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return quantile(s, 0.5);
  }

  /** Linear interpolation between the closest ranks of the sorted {@code s}. */
  public static double quantile(double[] s, double q) {
    double pos = q * (s.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  }

  /** The first and third quartile of {@code v}. */
  public static double[] quartiles(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return new double[] {quantile(s, 0.25), quantile(s, 0.75)};
  }

  /** a[i] / b[i] per round. */
  public static double[] ratios(double[] a, double[] b) {
    double[] r = new double[a.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = a[i] / b[i];
    }
    return r;
  }

  /** a[i] - b[i] per round. */
  public static double[] differences(double[] a, double[] b) {
    double[] r = new double[a.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = a[i] - b[i];
    }
    return r;
  }
}
