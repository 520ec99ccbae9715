package io.hexgate.cli.policy;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Inspect how policies decide connections.",
    subcommands = {PolicyTraceCommand.class})
public final class PolicyCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
