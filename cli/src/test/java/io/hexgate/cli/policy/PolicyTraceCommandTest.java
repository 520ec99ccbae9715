package io.hexgate.cli.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.cli.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code hexgate policy trace --offline}: exit code 0 with one verdict line, 2 with one error line. */
class PolicyTraceCommandTest {
  @TempDir Path tmp;

  private static final String CLUSTER =
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web, namespace: default, labels: {app: web}}
      spec: {containers: [{name: main, image: example}]}
      status: {podIP: 10.0.1.1}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: client, namespace: default, labels: {app: client}}
      spec: {containers: [{name: main, image: example}]}
      status: {podIP: 10.0.1.2}
      ---
      apiVersion: cilium.io/v2
      kind: CiliumNetworkPolicy
      metadata: {name: web, namespace: default}
      spec:
        endpointSelector: {matchLabels: {app: web}}
        ingress:
        - fromEndpoints: [{matchLabels: {app: client}}]
          toPorts: [{ports: [{port: "80", protocol: TCP}]}]
      """;

  private CliRun run(String yaml, String... extra) throws IOException {
    Path f = tmp.resolve("cluster.yaml");
    Files.writeString(f, yaml);
    List<String> args = new ArrayList<>(List.of("policy", "trace", "--offline", "-f", f.toString()));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void shouldPrintOneFinalVerdictAndExitZero() throws IOException {
    CliRun allowed = run(CLUSTER, "--src", "default/client", "--dst", "default/web", "--dport", "80/tcp");
    assertThat(allowed.exitCode()).isZero();
    assertThat(allowed.out().lines().filter(l -> l.startsWith("Final verdict:"))).containsExactly("Final verdict: ALLOWED");
    CliRun denied = run(CLUSTER, "--src", "default/client", "--dst", "default/web", "--dport", "81");
    assertThat(denied.exitCode()).isZero();
    assertThat(denied.out().lines().filter(l -> l.startsWith("Final verdict:"))).containsExactly("Final verdict: DENIED");
  }

  @ParameterizedTest(name = "--dport {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "eighty     | --dport eighty: \"eighty\" is not a port number (0-65535)",
        "70000      | --dport 70000: \"70000\" is not a port number (0-65535)",
        "80/tcpx    | --dport 80/tcpx: unknown protocol \"tcpx\", use tcp, udp, sctp or icmp",
        "256/icmp   | --dport 256/icmp: \"256\" is not a ICMP type (0-255)",
        "-1         | --dport -1: \"-1\" is not a port number (0-65535)",
        "/tcp       | --dport /tcp: \"\" is not a port number (0-65535)",
      })
  void shouldRejectBadDportWithExitCodeTwo(String dport, String message) throws IOException {
    CliRun r = run(CLUSTER, "--src", "default/client", "--dst", "default/web", "--dport", dport);
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("hexgate: " + message + System.lineSeparator());
    assertThat(r.out()).doesNotContain("Final verdict");
  }

  @Test
  void shouldReportInvalidPolicyWithFileObjectAndPathAndExitTwo() throws IOException {
    CliRun r =
        run(CLUSTER.replace("port: \"80\"", "port: eighty"), "--src", "default/client", "--dst", "default/web", "--dport", "80");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo("hexgate: " + tmp.resolve("cluster.yaml") + ": CiliumNetworkPolicy default/web:"
            + " spec.ingress[0].toPorts[0].ports[0].port: port \"eighty\" is a number written out in words;"
            + " write it as digits (e.g. \"80\")" + System.lineSeparator());
    assertThat(r.out()).doesNotContain("Final verdict");
  }

  @Test
  void shouldReportUnknownPodAndExitTwo() throws IOException {
    CliRun r = run(CLUSTER, "--src", "default/xwing", "--dst", "default/web", "--dport", "80");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo("hexgate: --src default/xwing: unknown pod: no Pod (or workload) named \"xwing\" in namespace"
            + " \"default\" in the input files" + System.lineSeparator());
  }

  @Test
  void shouldReportUnparseableYamlAndExitTwo() throws IOException {
    CliRun r = run("kind: [Pod\n", "--src", "default/client", "--dst", "default/web", "--dport", "80");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("hexgate: " + tmp.resolve("cluster.yaml") + ": not valid YAML: line ");
    assertThat(r.err().lines()).hasSize(1);
  }
}
