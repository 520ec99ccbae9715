package io.hexgate.cli.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.LoggerFactory;

/**
 * How the {@code hexgate} commands log: a level for everything and, optionally, per logger
 * ({@code debug} or {@code info,io.hexgate.operator.node=debug}), as text lines or as one JSON object a line
 * for log collectors; always on stderr, stdout being the commands' output. Set by {@code --log-level} /
 * {@code --log-format}, which become the system properties {@value #LEVEL_PROPERTY} / {@value #FORMAT_PROPERTY}
 * (so that a process the command starts is told too), over the environment's {@value #LEVEL_ENV} /
 * {@value #FORMAT_ENV}.
 */
public record LogSettings(Level level, Map<String, Level> loggers, Format format) {
  public static final String LEVEL_ENV = "HEXGATE_LOG_LEVEL";
  public static final String FORMAT_ENV = "HEXGATE_LOG_FORMAT";
  public static final String LEVEL_PROPERTY = "hexgate.log.level";
  public static final String FORMAT_PROPERTY = "hexgate.log.format";
  /** Libraries whose INFO lines are about their own machinery, not about what Hexgate does. */
  private static final Map<String, Level> LIBRARIES = Map.of("io.javaoperatorsdk", Level.WARN, "io.fabric8", Level.WARN);
  private static final String PATTERN = "%d{ISO8601} %-5level [%thread] %logger - %msg%n";
  private static final String LEVELS = "trace, debug, info, warn, error, off";

  public enum Format {
    TEXT,
    JSON
  }

  public LogSettings {
    loggers = Map.copyOf(loggers);
  }

  /**
   * Parses a level spec and a format name; {@code source} names where they come from in the errors (the flag or
   * variable). A null or blank text leaves {@code defaultLevel} and text format.
   */
  public static LogSettings parse(String levels, String format, Level defaultLevel, String levelSource, String formatSource) {
    Level level = defaultLevel;
    Map<String, Level> loggers = new LinkedHashMap<>();
    if (levels != null && !levels.isBlank()) {
      for (String part : levels.split(",", -1)) {
        String p = part.trim();
        int eq = p.indexOf('=');
        if (eq < 0) {
          level = level(p, levelSource);
        } else if (eq == 0 || p.substring(0, eq).isBlank()) {
          throw new IllegalArgumentException(levelSource + ": '" + p + "' names no logger (LOGGER=LEVEL)");
        } else {
          loggers.put(p.substring(0, eq).trim(), level(p.substring(eq + 1).trim(), levelSource));
        }
      }
    }
    Format f = Format.TEXT;
    if (format != null && !format.isBlank()) {
      try {
        f = Format.valueOf(format.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(formatSource + ": '" + format + "' is not a log format (text, json)", e);
      }
    }
    return new LogSettings(level, loggers, f);
  }

  private static Level level(String text, String source) {
    Level l = Level.toLevel(text.toUpperCase(Locale.ROOT), null);
    if (l == null || l == Level.ALL) {
      throw new IllegalArgumentException(source + ": '" + text + "' is not a log level (" + LEVELS + ")");
    }
    return l;
  }

  /** From the system properties over the environment, {@code defaultLevel} where neither sets one. */
  public static LogSettings current(UnaryOperator<String> env, Level defaultLevel) {
    String levelProperty = System.getProperty(LEVEL_PROPERTY);
    String formatProperty = System.getProperty(FORMAT_PROPERTY);
    return parse(
        levelProperty != null ? levelProperty : env.apply(LEVEL_ENV),
        formatProperty != null ? formatProperty : env.apply(FORMAT_ENV),
        defaultLevel,
        levelProperty != null ? "--log-level" : LEVEL_ENV,
        formatProperty != null ? "--log-format" : FORMAT_ENV);
  }

  /** Whether the system properties or the environment ask for a level. */
  public static boolean levelAsked(UnaryOperator<String> env) {
    return System.getProperty(LEVEL_PROPERTY) != null || env.apply(LEVEL_ENV) != null;
  }

  /** Applies to the running logback, replacing its configuration. */
  public void apply() {
    apply((LoggerContext) LoggerFactory.getILoggerFactory());
  }

  /** Replaces {@code context}'s configuration: one stderr appender, the levels. */
  public void apply(LoggerContext context) {
    context.reset();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("stderr");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder(context));
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level);
    root.addAppender(stderr);
    LIBRARIES.forEach((name, l) -> context.getLogger(name).setLevel(l.isGreaterOrEqual(level) ? l : level));
    loggers.forEach((name, l) -> context.getLogger(name).setLevel(l));
  }

  private Encoder<ILoggingEvent> encoder(LoggerContext context) {
    if (format == Format.JSON) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      // what a collector indexes: time, level, thread, logger, the message as written, any exception
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithFormattedMessage(true);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(PATTERN);
    text.start();
    return text;
  }
}
