package io.hexgate.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hexgate.cli.HexgateCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

class LogSettingsTest {
  @AfterEach
  void restore() {
    System.clearProperty(LogSettings.LEVEL_PROPERTY);
    System.clearProperty(LogSettings.FORMAT_PROPERTY);
    LogSettings.current(System::getenv, Level.INFO).apply();
  }

  @Test
  void aLevelSpecSetsTheLevelAndLoggersTheirOwn() {
    LogSettings s = LogSettings.parse("warn, io.hexgate.operator.node=DEBUG,io.fabric8=info", "json", Level.INFO, "--log-level", "--log-format");
    assertThat(s.level()).isEqualTo(Level.WARN);
    assertThat(s.loggers()).containsExactlyInAnyOrderEntriesOf(Map.of("io.hexgate.operator.node", Level.DEBUG, "io.fabric8", Level.INFO));
    assertThat(s.format()).isEqualTo(LogSettings.Format.JSON);
    assertThat(LogSettings.parse(null, "", Level.WARN, "a", "b")).isEqualTo(new LogSettings(Level.WARN, Map.of(), LogSettings.Format.TEXT));
  }

  @Test
  void aBadValueNamesWhereItCameFrom() {
    assertThatThrownBy(() -> LogSettings.parse("loud", null, Level.INFO, "HEXGATE_LOG_LEVEL", "HEXGATE_LOG_FORMAT"))
        .hasMessage("HEXGATE_LOG_LEVEL: 'loud' is not a log level (trace, debug, info, warn, error, off)");
    assertThatThrownBy(() -> LogSettings.parse("=debug", null, Level.INFO, "--log-level", "--log-format"))
        .hasMessage("--log-level: '=debug' names no logger (LOGGER=LEVEL)");
    assertThatThrownBy(() -> LogSettings.parse(null, "xml", Level.INFO, "--log-level", "--log-format"))
        .hasMessage("--log-format: 'xml' is not a log format (text, json)");
  }

  @Test
  void jsonFormatWritesOneObjectALine() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      LogSettings.parse("info,io.hexgate.quiet=error", "json", Level.INFO, "", "").apply(context);
      context.getLogger("io.hexgate.operator.node.AgentSession").info("node {}: sent revision {}", "node-a", 7);
      context.getLogger("io.hexgate.operator.node.AgentSession").debug("not at info");
      context.getLogger("io.hexgate.quiet.Thing").warn("below its level");
      context.getLogger("io.fabric8.Client").info("library chatter");
    } finally {
      System.setErr(stderr);
      context.stop();
    }
    String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode line = new ObjectMapper().readTree(lines[0]);
    assertThat(line.path("level").asText()).isEqualTo("INFO");
    assertThat(line.path("loggerName").asText()).isEqualTo("io.hexgate.operator.node.AgentSession");
    assertThat(line.path("formattedMessage").asText()).isEqualTo("node node-a: sent revision 7");
    assertThat(line.path("timestamp").asLong()).isPositive();
  }

  @Test
  void theFlagsOfEveryCommandSetTheRunningLogger() {
    CommandLine cli = HexgateCli.commandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    assertThat(cli.execute("policy", "--log-level", "warn,io.hexgate.cli.test=debug")).isNotEqualTo(2);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    assertThat(context.getLogger("ROOT").getLevel()).isEqualTo(Level.WARN);
    assertThat(context.getLogger("io.hexgate.cli.test").getLevel()).isEqualTo(Level.DEBUG);
    assertThat(System.getProperty(LogSettings.LEVEL_PROPERTY)).as("passed on to processes the command starts")
        .isEqualTo("warn,io.hexgate.cli.test=debug");
  }

  @Test
  void aBadFlagIsAUsageError() {
    StringWriter err = new StringWriter();
    CommandLine cli = HexgateCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter()));
    assertThat(cli.execute("--log-format", "yaml")).isEqualTo(2);
    assertThat(err.toString()).contains("hexgate: --log-format: 'yaml' is not a log format (text, json)");
    assertThat(System.getProperty(LogSettings.FORMAT_PROPERTY)).isNull();
  }
}
