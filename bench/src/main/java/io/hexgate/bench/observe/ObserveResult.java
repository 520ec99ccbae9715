package io.hexgate.bench.observe;

import java.util.List;
import java.util.Locale;

/** What {@link ObserveBenchmark} measured, judged against its targets, as a Markdown report. */
public record ObserveResult(
    ObserveBenchmark.Config config,
    double matchFraction,
    Memory memory,
    List<Stage> stages,
    List<Followed> tcpRuns,
    List<Followed> inProcessRuns,
    Sustained sustained,
    Relay relay) {

  /** Heap after GC with the ring empty and filled. */
  public record Memory(int flows, long emptyBytes, long fullBytes, double serializedBytesPerFlow) {
    public double mbPer10k() {
      return (fullBytes - emptyBytes) / (double) flows * 10_000 / (1 << 20);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d flows buffered: %.1f MB per 10,000 (%.0f bytes per flow; %.0f bytes serialized)",
          flows, mbPer10k(), (fullBytes - emptyBytes) / (double) flows, serializedBytesPerFlow);
    }
  }

  /** One thread doing the path up to a stage, as fast as it can. */
  public record Stage(String name, double flowsPerSecond) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s: %,.0f flows/s (%.0f ns/flow)", name, flowsPerSecond, 1e9 / flowsPerSecond);
    }
  }

  /** The whole path as fast as it goes, one filtering follower attached. */
  public record Followed(String transport, double pushedPerSecond, double matchedPerSecond, double deliveredPerSecond,
      double ringLostPerSecond, String failure) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "%s: pushed %,.0f flows/s; the filter passed %,.0f/s, the follower received %,.0f/s (%.0f%%), lost %,.0f/s (ring overwrote them first)%s",
          transport, pushedPerSecond, matchedPerSecond, deliveredPerSecond,
          matchedPerSecond == 0 ? 0 : 100 * deliveredPerSecond / matchedPerSecond, ringLostPerSecond,
          failure == null ? "" : "; FAILED: " + failure);
    }
  }

  /** A paced run with one filtering follower. */
  public record Sustained(int rate, long pushed, double seconds, double maxBehindMs, long matched, long delivered,
      long ringLost, long otherLost, String failure) {
    public long missing() {
      return Math.max(0, matched - delivered);
    }

    public boolean met() {
      return failure == null && ringLost == 0 && otherLost == 0 && missing() == 0 && pushed / seconds >= 0.98 * rate;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "%,d flows/s for %.0f s: pushed %,d (%,.0f/s, at worst %.1f ms behind schedule), %,d passed the filter,"
              + " %,d received, %,d missing, %,d lost in the ring, %,d lost elsewhere%s",
          rate, seconds, pushed, pushed / seconds, maxBehindMs, matched, delivered, missing(), ringLost, otherLost,
          failure == null ? "" : "; FAILED: " + failure);
    }
  }

  /** Agents behind the relay, one follower on the relay and one on the first agent. */
  public record Relay(int agents, int rate, double pushedPerSecond, double relayedPerSecond, long missing, long ringLost,
      double directP50Ms, double directP99Ms, double relayP50Ms, double relayP99Ms, int pairs, double addedP50Ms,
      double addedP99Ms, double addedMaxMs, double saturatedPushedPerSecond, double saturatedRelayedPerSecond,
      long saturatedRingLost, String failure) {
    public boolean met() {
      return failure == null && pairs > 0 && addedP99Ms <= ObserveBenchmark.TARGET_RELAY_P99_MS;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "%d agents, %,d flows/s paced (pushed %,.0f/s, relayed %,.0f/s, %,d missing, %,d lost in the agents' rings): age on arrival direct p50 %.2f / p99 %.2f ms,"
              + " via the relay p50 %.2f / p99 %.2f ms; added by the relay (%,d flows) p50 %.2f, p99 %.2f, max %.2f ms;"
              + " saturated: pushed %,.0f/s, relayed %,.0f/s, %,d lost in the agents' rings%s",
          agents, rate, pushedPerSecond, relayedPerSecond, missing, ringLost, directP50Ms, directP99Ms, relayP50Ms, relayP99Ms,
          pairs, addedP50Ms, addedP99Ms, addedMaxMs, saturatedPushedPerSecond, saturatedRelayedPerSecond,
          saturatedRingLost, failure == null ? "" : "; FAILED: " + failure);
    }
  }

  public ObserveResult {
    tcpRuns = List.copyOf(tcpRuns);
    inProcessRuns = List.copyOf(inProcessRuns);
  }

  /** The TCP follower's run with the median pushed rate (a failed run counts as the slowest). */
  public Followed tcp() {
    return median(tcpRuns);
  }

  /** The in-process follower's run with the median pushed rate. */
  public Followed inProcess() {
    return median(inProcessRuns);
  }

  private static Followed median(List<Followed> runs) {
    List<Followed> sorted = runs.stream()
        .sorted(java.util.Comparator.comparingDouble(f -> f.failure() == null ? f.pushedPerSecond() : -1))
        .toList();
    return sorted.get((sorted.size() - 1) / 2);
  }

  private static String range(List<Followed> runs) {
    if (runs.size() == 1) {
      return "one run";
    }
    double min = runs.stream().mapToDouble(Followed::pushedPerSecond).min().orElse(0);
    double max = runs.stream().mapToDouble(Followed::pushedPerSecond).max().orElse(0);
    return String.format(Locale.ROOT, "median of %d runs, %,.0f–%,.0f", runs.size(), min, max);
  }

  /** The agent's path takes the target rate with a follower attached over TCP. */
  public boolean throughputMet() {
    return tcp().failure() == null && tcp().pushedPerSecond() >= ObserveBenchmark.TARGET_FLOWS_PER_SECOND;
  }

  public boolean allMet() {
    return throughputMet() && sustained.met() && relay.met();
  }

  public String markdown() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT,
        "Workload: %d local endpoints, %d remote pods in the IP cache, %d identities, %d services, %d policies;"
            + " %d distinct ring-buffer records; the follower's filter (verdict DROPPED or source pod default/) passes %.1f%%.%n%n",
        config.workload().localEndpoints(), config.workload().remotePods(), config.workload().identities(),
        config.workload().services(), config.workload().policies(), config.workload().records(), 100 * matchFraction));
    out.append("| target | measured | met |\n|---|---:|---|\n");
    out.append(String.format(Locale.ROOT, "| one agent ≥ %,.0f flows/s with a filtering follower (loopback TCP) | %,.0f flows/s (%s) | %s |%n",
        ObserveBenchmark.TARGET_FLOWS_PER_SECOND, tcp().pushedPerSecond(), range(tcpRuns), yes(throughputMet())));
    out.append(String.format(Locale.ROOT, "| %,d flows/s for %.0f s: no flow lost | %,d missing, %,d lost in the ring | %s |%n",
        sustained.rate(), sustained.seconds(), sustained.missing(), sustained.ringLost(), yes(sustained.met())));
    out.append(String.format(Locale.ROOT, "| relay adds ≤ %.0f ms at p99 | %.2f ms (p50 %.2f) | %s |%n",
        ObserveBenchmark.TARGET_RELAY_P99_MS, relay.addedP99Ms(), relay.addedP50Ms(), yes(relay.met())));
    out.append(String.format(Locale.ROOT, "| heap per 10,000 buffered flows (no target) | %.1f MB | |%n%n", memory.mbPer10k()));
    out.append("Stages, one thread, no follower:\n\n| path up to | flows/s | ns/flow |\n|---|---:|---:|\n");
    for (Stage s : stages) {
      out.append(String.format(Locale.ROOT, "| %s | %,.0f | %.0f |%n", s.name(), s.flowsPerSecond(), 1e9 / s.flowsPerSecond()));
    }
    out.append("\nOne follower (GetFlows follow, the filter above), the path as fast as it goes (each run, in order):\n\n"
        + "| transport | pushed flows/s | passed the filter /s | delivered /s | delivered share | lost (ring) /s |\n"
        + "|---|---:|---:|---:|---:|---:|\n");
    for (Followed f : java.util.stream.Stream.concat(tcpRuns.stream(), inProcessRuns.stream()).toList()) {
      out.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f | %,.0f | %.0f%% | %,.0f |%n", f.transport(),
          f.pushedPerSecond(), f.matchedPerSecond(), f.deliveredPerSecond(),
          f.matchedPerSecond() == 0 ? 0 : 100 * f.deliveredPerSecond() / f.matchedPerSecond(), f.ringLostPerSecond()));
    }
    out.append("\nSustained: ").append(sustained).append(".\n\n");
    out.append("Relay: ").append(relay).append(".\n\n");
    out.append("Memory: ").append(memory).append(".\n");
    return out.toString();
  }

  private static String yes(boolean met) {
    return met ? "yes" : "**no**";
  }
}
