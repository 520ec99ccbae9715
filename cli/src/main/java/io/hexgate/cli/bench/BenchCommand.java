package io.hexgate.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks of Hexgate's components on synthetic workloads.",
    subcommands = {PolicyBenchCommand.class, OperatorBenchCommand.class, DatapathBenchCommand.class, NetworkBenchCommand.class,
        ProxyBenchCommand.class, ObserveBenchCommand.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
