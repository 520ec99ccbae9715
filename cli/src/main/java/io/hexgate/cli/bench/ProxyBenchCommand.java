package io.hexgate.cli.bench;

import io.hexgate.bench.proxy.ProxyBenchmark;
import io.hexgate.bench.proxy.ProxyResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "proxy",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the L7 proxy on the lab's path (client pod namespace -> node namespace -> server pod namespace,",
      "the eBPF datapath loaded), side by side with the client talking to the server's nginx directly (L3/L4",
      "allow), through nginx as a reverse proxy in the node's namespace, and through nginx relaying TCP there",
      "without parsing HTTP (the ceiling for any proxy on this path: reported, not a target). Hexgate's proxy",
      "carries the requests because the server's ingress entry for the client on TCP 80 redirects with the rule",
      "POST /v1/request-landing. Per setup: wrk requests/s at saturation, p50/p99 latency unloaded, p99 at",
      "about half the direct maximum rate (paced, approximate), then this JVM's heap with --idle-connections",
      "connections open through the proxy. A path that does not answer (no proxy running) is reported, not",
      "waited for. Needs root, eBPF, nginx with its stream module, wrk and prlimit. Progress goes to stderr,",
      "the Markdown report to stdout. Exit code 0 when every target is met, 1 when one is missed or could not",
      "be measured, 2 when the benchmark cannot run here or the options are bad."
    })
public final class ProxyBenchCommand implements Callable<Integer> {
  private static final ProxyBenchmark.Config D = ProxyBenchmark.Config.DEFAULT;

  @Option(names = "--rounds", paramLabel = "N", description = "Rounds over all setups per metric (default: ${DEFAULT-VALUE}).")
  int rounds = D.rounds();

  @Option(names = "--seconds", paramLabel = "S", description = "Seconds of each wrk run (default: ${DEFAULT-VALUE}).")
  int seconds = D.seconds();

  @Option(names = "--connections", paramLabel = "N",
      description = "wrk's connections at saturation, on 2 threads (default: ${DEFAULT-VALUE}).")
  int connections = D.connections();

  @Option(names = "--idle-connections", paramLabel = "N",
      description = "Connections held open through the proxy for the heap reading; 0: no reading (default: ${DEFAULT-VALUE}).")
  int idleConnections = D.idleConnections();

  @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    ProxyBenchmark.Config config;
    try {
      config = new ProxyBenchmark.Config(D.prefix(), rounds, seconds, connections, idleConnections);
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate bench proxy: " + e.getMessage());
      return 2;
    }
    String why = ProxyBenchmark.unavailable();
    if (why != null) {
      System.err.println("hexgate bench proxy: cannot run here: " + why);
      return 2;
    }
    ProxyResult result = new ProxyBenchmark(config, quiet ? s -> {} : s -> System.err.println("bench proxy: " + s)).run();
    System.out.print(result.markdown());
    return result.allMet() ? 0 : 1;
  }
}
