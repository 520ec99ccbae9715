package io.hexgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.install.AgentInstall;
import io.hexgate.operator.relay.RelayConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class OperatorCommandTest {
  private static OperatorConfig parse(String... args) {
    OperatorCommand cmd = new OperatorCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd.config();
  }

  @Test
  void shouldDefaultToCiliumsIdentityGcTimingsAndLeaderElection() {
    OperatorConfig c = parse();
    assertThat(c.clusterName()).isEqualTo("default");
    assertThat(c.identityGcGrace()).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.identityGcInterval()).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.leaderElection()).isTrue();
    assertThat(c.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.exitOnLostLeadership()).isTrue();
    // the process deploys the agents a HexgateConfig describes, from its environment; the library does not
    assertThat(c.agentInstall()).isEqualTo(AgentInstall.fromEnvironment(System::getenv, 4250));
    assertThat(c).isEqualTo(OperatorConfig.defaults().toBuilder().installAgents(c.agentInstall()).build());
  }

  @Test
  void shouldLeaveTheAgentsAloneWhenAsked() {
    assertThat(parse("--no-install-agents").agentInstall()).isNull();
  }

  @Test
  void shouldReadDurationsAsKubectlWritesThem() {
    OperatorConfig c = parse("--identity-gc-grace", "1h30m", "--cluster-name", "east", "--no-leader-election");
    assertThat(c.identityGcGrace()).isEqualTo(Duration.ofMinutes(90));
    assertThat(c.clusterName()).isEqualTo("east");
    assertThat(c.leaderElection()).isFalse();
    assertThat(parse("--identity-gc-grace", "PT2S").identityGcGrace()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void shouldRejectBadValuesNamingTheOption() {
    assertThatThrownBy(() -> parse("--identity-gc-grace", "soon"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--identity-gc-grace");
    assertThatThrownBy(() -> parse("--lease-duration", "5s", "--lease-renew-deadline", "10s"))
        .hasMessageContaining("lease-renew-deadline");
  }

  @Test
  void shouldServeTheHubbleRelayOnHubblesPortUnlessTurnedOff() {
    assertThat(parse().relay()).isEqualTo(RelayConfig.defaults());
    assertThat(parse().relay().port()).isEqualTo(4245);
    RelayConfig local = parse("--relay-port", "14245", "--relay-bind-address", "127.0.0.1").relay();
    assertThat(local.port()).isEqualTo(14245);
    assertThat(local.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(local.agentTls()).isTrue();
    assertThat(parse("--relay-port", "0").relay()).isNull();
    assertThatThrownBy(() -> parse("--relay-port", "70000")).hasMessageContaining("relay-port");
  }

  @Test
  void shouldBeASubcommandOfHexgate() {
    assertThat(HexgateCli.commandLine().getSubcommands()).containsKey("operator");
  }
}
