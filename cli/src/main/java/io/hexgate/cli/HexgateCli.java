package io.hexgate.cli;

import io.hexgate.cli.bench.BenchCommand;
import io.hexgate.cli.lab.LabCommand;
import io.hexgate.cli.policy.PolicyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hexgate} command: thin picocli commands that delegate to the modules. */
@Command(
    name = "hexgate",
    mixinStandardHelpOptions = true,
    version = "hexgate 0.1.0",
    description = "Identity-aware network policy and flow visibility for Kubernetes, compatible with Cilium policies.",
    subcommands = {PolicyCommand.class, DemoCommand.class, LabCommand.class, OperatorCommand.class, AgentCommand.class, AgentCertCommand.class, BenchCommand.class})
public final class HexgateCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static CommandLine commandLine() {
    return new CommandLine(new HexgateCli());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
