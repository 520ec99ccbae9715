package io.hexgate.cli.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Configures logback, as it starts in any process run from the CLI's class path (the commands, the lab's
 * background process), from {@link LogSettings}' system properties and environment. A logback configuration
 * file, where one is given or on the class path (a module's tests), is left to configure instead.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class EnvironmentLogConfigurator extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    ClassLoader loader = EnvironmentLogConfigurator.class.getClassLoader();
    if (System.getProperty("logback.configurationFile") != null
        || loader.getResource("logback-test.xml") != null
        || loader.getResource("logback.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    LogSettings settings;
    try {
      settings = LogSettings.current(System::getenv, Level.INFO);
    } catch (IllegalArgumentException e) {
      // too early to refuse to run: say so, log as by default (the commands refuse it when they parse their flags)
      System.err.println("hexgate: " + e.getMessage() + "; logging at INFO");
      settings = LogSettings.parse(null, null, Level.INFO, "", "");
    }
    settings.apply(context);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
