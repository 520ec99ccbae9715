package io.hexgate.cli;

import io.hexgate.cli.bench.BenchCommand;
import ch.qos.logback.classic.Level;
import io.hexgate.cli.lab.LabCommand;
import io.hexgate.cli.logging.LogSettings;
import io.hexgate.cli.observe.ObserveCommand;
import io.hexgate.cli.observe.StatusCommand;
import io.hexgate.cli.policy.PolicyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/** The {@code hexgate} command: thin picocli commands that delegate to the modules. */
@Command(
    name = "hexgate",
    mixinStandardHelpOptions = true,
    version = "hexgate 0.1.0",
    description = "Identity-aware network policy and flow visibility for Kubernetes, compatible with Cilium policies.",
    subcommands = {PolicyCommand.class, DemoCommand.class, LabCommand.class, OperatorCommand.class, AgentCommand.class, AgentCertCommand.class, BenchCommand.class,
        ObserveCommand.class, StatusCommand.class})
public final class HexgateCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--log-level", paramLabel = "LEVEL[,LOGGER=LEVEL...]", scope = ScopeType.INHERIT,
      description = "Log level (trace, debug, info, warn, error, off), optionally per logger, e.g. info,io.hexgate.operator.node=debug"
          + " (default: $" + LogSettings.LEVEL_ENV + ", else info).")
  String logLevel;

  @Option(names = "--log-format", paramLabel = "text|json", scope = ScopeType.INHERIT,
      description = "Log lines as text or as one JSON object a line, for log collectors (default: $" + LogSettings.FORMAT_ENV + ", else text).")
  String logFormat;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new HexgateCli());
    commandLine.setExecutionStrategy(HexgateCli::execute);
    return commandLine;
  }

  /** Sets up logging as the flags and the environment say (a bad value is a usage error), then runs the command. */
  private static int execute(ParseResult parsed) {
    String level = null;
    String format = null;
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      level = p.matchedOptionValue("--log-level", level);
      format = p.matchedOptionValue("--log-format", format);
    }
    try {
      if (level != null || format != null || LogSettings.levelAsked(System::getenv) || System.getenv(LogSettings.FORMAT_ENV) != null) {
        LogSettings.parse(level, format, Level.INFO, "--log-level", "--log-format");
        if (level != null) {
          System.setProperty(LogSettings.LEVEL_PROPERTY, level);
        }
        if (format != null) {
          System.setProperty(LogSettings.FORMAT_PROPERTY, format);
        }
        LogSettings.current(System::getenv, Level.INFO).apply();
      }
    } catch (IllegalArgumentException e) {
      parsed.commandSpec().commandLine().getErr().println("hexgate: " + e.getMessage());
      return 2;
    }
    return new CommandLine.RunLast().execute(parsed);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
