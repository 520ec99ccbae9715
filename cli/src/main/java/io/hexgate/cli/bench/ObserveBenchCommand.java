package io.hexgate.cli.bench;

import ch.qos.logback.classic.Level;
import io.hexgate.bench.observe.ObserveBenchmark;
import io.hexgate.bench.observe.ObserveResult;
import io.hexgate.cli.logging.LogSettings;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "observe",
    mixinStandardHelpOptions = true,
    description = {
      "Measure Hubble flows in one agent and through the relay, in this JVM on loopback: (1) flows/s through",
      "one agent's whole path (ring-buffer record decoded, contract flow, Hubble flow named from a node's",
      "state of a few hundred endpoints, IP cache entries and identities, LocalObserver's ring) with one",
      "GetFlows follower filtering on verdict DROPPED or source pod default/, over TCP and in-process, and the",
      "rate it receives; (2) flows lost by that follower at a paced rate; (3) the latency the relay",
      "(HubbleRelay, static peers, plaintext) adds in front of --agents agents, and its flows/s; (4) heap per",
      "10,000 buffered flows. Progress goes to stderr, the Markdown report to stdout. Exit code 0 when every",
      "target is met (>= 500,000 flows/s, no loss, relay p99 added <= 50 ms), 1 when one is missed, 2 when the",
      "options are bad."
    })
public final class ObserveBenchCommand implements Callable<Integer> {
  private static final ObserveBenchmark.Config D = ObserveBenchmark.Config.DEFAULT;

  @Option(names = "--seconds", paramLabel = "S",
      description = "Seconds of the sustained run (default: ${DEFAULT-VALUE}).")
  double seconds = D.sustainedSeconds();

  @Option(names = "--rate", paramLabel = "N", description = "Flows/s of the sustained run (default: ${DEFAULT-VALUE}).")
  int rate = D.sustainedRate();

  @Option(names = "--measure-seconds", paramLabel = "S",
      description = "Seconds of each throughput run, after as many warm-up seconds as --warmup (default: ${DEFAULT-VALUE}).")
  double measureSeconds = D.seconds();

  @Option(names = "--warmup", paramLabel = "S", description = "Warm-up seconds before each run (default: ${DEFAULT-VALUE}).")
  double warmup = D.warmupSeconds();

  @Option(names = "--agents", paramLabel = "N", description = "Agents behind the relay (default: ${DEFAULT-VALUE}).")
  int agents = D.agents();

  @Option(names = "--relay-rate", paramLabel = "N",
      description = "Flows/s each agent behind the relay is pushed while latency is measured (default: ${DEFAULT-VALUE}).")
  int relayRate = D.relayRatePerAgent();

  @Option(names = "--relay-seconds", paramLabel = "S",
      description = "Seconds latency through the relay is measured (default: ${DEFAULT-VALUE}).")
  double relaySeconds = D.relaySeconds();

  @Option(names = "--ring", paramLabel = "N",
      description = "The agents' flow ring, 2^n-1 (default: ${DEFAULT-VALUE}, Hubble's).")
  int ring = D.ringCapacity();

  @Option(names = "--rounds", paramLabel = "N",
      description = "Runs of each one-follower measurement; the median is judged (default: ${DEFAULT-VALUE}).")
  int rounds = D.rounds();

  @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    LogSettings.current(System::getenv, Level.WARN).apply();
    ObserveBenchmark.Config config;
    try {
      config = new ObserveBenchmark.Config(D.workload(), warmup, measureSeconds, rate, seconds, agents, relayRate,
          relaySeconds, D.relaySaturationSeconds(), ring, D.memoryRing(), rounds);
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate bench observe: " + e.getMessage());
      return 2;
    }
    System.out.printf("JVM: %s %s, max heap %d MB, %d CPUs%n%n", System.getProperty("java.vm.name"),
        System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
    ObserveResult result =
        new ObserveBenchmark(config, quiet ? s -> {} : s -> System.err.println("bench observe: " + s)).run();
    System.out.print(result.markdown());
    return result.allMet() ? 0 : 1;
  }
}
