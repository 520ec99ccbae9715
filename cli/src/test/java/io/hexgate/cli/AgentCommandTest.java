package io.hexgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCommandTest {
  @TempDir Path certs;

  private record Run(int exit, String stderr) {}

  private static Run run(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true));
    try {
      return new Run(HexgateCli.commandLine().execute(args), err.toString());
    } finally {
      System.setErr(saved);
    }
  }

  @Test
  void isASubcommandWithCiliumsMetricsPortByDefault() {
    assertThat(HexgateCli.commandLine().getSubcommands()).containsKey("agent");
    AgentCommand cmd = new AgentCommand();
    new picocli.CommandLine(cmd).parseArgs("--node", "n1", "--operator", "op:4250");
    assertThat(cmd.metricsPort).isEqualTo(9962);
    assertThat(cmd.uplinks).containsExactly("eth0");
    assertThat(cmd.datapath).isEqualTo("auto");
  }

  @Test
  void namesTheMissingCertificateAndHowToIssueIt() {
    Run r = run("agent", "--node", "n1", "--operator", "op:4250", "--cert-dir", certs.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.stderr()).contains(certs.resolve("tls.crt").toString()).contains("hexgate agent-cert --node n1");
  }

  @Test
  void rejectsABadDatapathOrOperatorAddress() {
    Run r = run("agent", "--node", "n1", "--operator", "op:4250", "--datapath", "xdp");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.stderr()).contains("--datapath must be auto, bpf or java");
    r = run("agent", "--node", "n1", "--operator", "op");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.stderr()).contains("--operator must be HOST:PORT");
  }
}
