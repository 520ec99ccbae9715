package io.hexgate.operator.policy.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code hexgate policy trace --offline}: each case is one {@link InputException} (exit
 * code 2 in the CLI) whose message names the file, the object ({@code Kind ns/name}) and the field path.
 */
class PolicyTraceInputErrorTest {
  @TempDir Path tmp;

  private static final String POD =
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web, namespace: default, labels: {app: web}}
      spec: {containers: [{name: main, image: example}]}
      status: {podIP: 10.0.1.1}
      ---
      """;

  private static String cnp(String name, String spec) {
    return "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: " + name
        + ", namespace: default}\nspec:\n" + spec.indent(2);
  }

  private Path file(String yaml) throws IOException {
    Path f = Files.createTempFile(tmp, "input-", ".yaml");
    Files.writeString(f, yaml);
    return f;
  }

  /** Loads and traces web -> web on 80/TCP, as the CLI does; returns the error message. */
  private static String error(Path file, String src, String dst) {
    InputException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            InputException.class,
            () -> {
              OfflineCluster c = new OfflineCluster(new ManifestLoader("default").load(List.of(file)));
              PolicyTrace t = new PolicyTrace(c);
              t.trace(
                  t.peer(src, "default", "--src"),
                  t.peer(dst, "default", "--dst"),
                  io.hexgate.operator.policy.Protocol.TCP,
                  80,
                  null,
                  new PrintStream(OutputStream.nullOutputStream()));
            });
    assertThat(e.getMessage()).as("one line").doesNotContain("\n");
    return e.getMessage();
  }

  private static String error(Path file) {
    return error(file, "default/web", "default/web");
  }

  @Test
  void shouldNameFileAndPositionOfUnparseableYaml() throws IOException {
    Path f = file(POD + "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n");
    assertThat(error(f))
        .isEqualTo(f + ": not valid YAML: line 10, column 1: while parsing a flow mapping: expected ',' or '}', but got <stream end>");
  }

  @Test
  void shouldRejectUnknownFieldInCnp() throws IOException {
    Path f = file(POD + cnp("p", "endpointSelector: {}\ningress:\n- fromEndpoint: [{}]\n"));
    assertThat(error(f))
        .isEqualTo(f + ": CiliumNetworkPolicy default/p: spec.ingress[0].fromEndpoint: unknown field \"fromEndpoint\"");
  }

  @Test
  void shouldRejectTopLevelDescriptionOutsideSpec() throws IOException {
    // The API server would prune it silently (§1.1); strict loading says where it is instead.
    Path f =
        file(POD + """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: rule1, namespace: default}
            description: "L3-L4 policy to restrict deathstar access to empire ships only"
            spec:
              endpointSelector: {matchLabels: {app: web}}
              ingress: [{}]
            """);
    assertThat(error(f)).isEqualTo(f + ": CiliumNetworkPolicy default/rule1: description: unknown field \"description\"");
  }

  @Test
  void shouldRejectUnknownFieldInMetadata() throws IOException {
    // kubectl --validate=strict: strict decoding error: unknown field "metadata.lables".
    Path f =
        file(POD + """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: rule1, namespace: default, lables: {app: web}}
            spec:
              endpointSelector: {matchLabels: {app: web}}
              ingress: [{}]
            """);
    assertThat(error(f)).isEqualTo(f + ": CiliumNetworkPolicy default/rule1: metadata.lables: unknown field \"lables\"");
    Path g = file(POD.replace("labels: {app: web}}", "labels: {app: web}, annotation: {a: b}}"));
    assertThat(error(g)).isEqualTo(g + ": Pod default/web: metadata.annotation: unknown field \"annotation\"");
    Path h = file(POD + """
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: all, namspace: default}
        spec:
          endpointSelector: {}
          ingress: [{}]
        """);
    assertThat(error(h)).isEqualTo(h + ": CiliumClusterwideNetworkPolicy all: metadata.namspace: unknown field \"namspace\"");
  }

  @Test
  void shouldExplainThatRequiresWithSelectorsWasRemoved() throws IOException {
    // A pre-1.19 "requires" policy: Cilium 1.19+ rejects it as well (§2.1, §2.9), so Hexgate does, saying why.
    Path f = file(POD + cnp("requires-prod", """
        endpointSelector: {matchLabels: {env: prod}}
        ingress:
        - fromRequires: [{matchLabels: {env: prod}}]
        """));
    assertThat(error(f))
        .isEqualTo(f + ": CiliumNetworkPolicy default/requires-prod: spec.ingress[0].fromRequires[0]: wrong type:"
            + " must be of type string (fromRequires was removed in Cilium 1.19 and must be empty: add its labels"
            + " to each fromEndpoints selector of the rule instead)");
    Path g = file(POD + cnp("q", "endpointSelector: {}\negress:\n- toRequires: {matchLabels: {env: prod}}\n"));
    assertThat(error(g)).endsWith("spec.egress[0].toRequires: wrong type: must be of type array (toRequires was"
        + " removed in Cilium 1.19 and must be empty: add its labels to each toEndpoints selector of the rule instead)");
  }

  @Test
  void shouldRejectUnquotedNumericPort() throws IOException {
    // §2.9: "YAML port: 80 unquoted fails 'must be of type string'".
    Path f = file(POD + cnp("p", "endpointSelector: {}\ningress:\n- toPorts: [{ports: [{port: 80, protocol: TCP}]}]\n"));
    assertThat(error(f))
        .isEqualTo(f + ": CiliumNetworkPolicy default/p: spec.ingress[0].toPorts[0].ports[0].port: wrong type: must be of type string");
  }

  @Test
  void shouldRejectStringWhereListIsExpected() throws IOException {
    Path f = file(POD + cnp("p", "endpointSelector: {}\ningress:\n- fromCIDR: 10.0.0.0/8\n"));
    assertThat(error(f))
        .isEqualTo(f + ": CiliumNetworkPolicy default/p: spec.ingress[0].fromCIDR: wrong type: must be of type array");
    Path g = file(POD + cnp("q", "endpointSelector: {}\ningress: {fromEntities: [world]}\n"));
    assertThat(error(g)).isEqualTo(g + ": CiliumNetworkPolicy default/q: spec.ingress: wrong type: must be of type array");
  }

  @Test
  void shouldRejectUnknownEntity() throws IOException {
    Path f = file(POD + cnp("p", "endpointSelector: {}\negress:\n- toEntities: [cluster, wrld]\n"));
    assertThat(error(f))
        .isEqualTo(f + ": CiliumNetworkPolicy default/p: spec.egress[0].toEntities[1]: unsupported entity: wrld");
  }

  @Test
  void shouldRejectBadCidrAndExceptOutsideCidr() throws IOException {
    Path f = file(POD + cnp("p", "endpointSelector: {}\ningress:\n- fromCIDR: [10.0.0.300/8]\n"));
    assertThat(error(f))
        .isEqualTo(f + ": CiliumNetworkPolicy default/p: spec.ingress[0].fromCIDR[0]: unable to parse CIDR: invalid CIDR \"10.0.0.300/8\": IPv4 field has value >255");
    Path g = file(POD + cnp("q", "endpointSelector: {}\negress:\n- toCIDRSet: [{cidr: 10.0.0.0/8, except: [11.0.0.0/16]}]\n"));
    assertThat(error(g))
        .isEqualTo(g + ": CiliumNetworkPolicy default/q: spec.egress[0].toCIDRSet[0].except[0]: allow CIDR prefix 10.0.0.0/8 does not contain exclude CIDR prefix 11.0.0.0/16");
  }

  @Test
  void shouldRejectPortWrittenInWords() throws IOException {
    Path f = file(POD + cnp("p", "endpointSelector: {}\ningress:\n- toPorts: [{ports: [{port: eighty, protocol: TCP}]}]\n"));
    assertThat(error(f))
        .isEqualTo(f + ": CiliumNetworkPolicy default/p: spec.ingress[0].toPorts[0].ports[0].port: port \"eighty\" is a number written out in words; write it as digits (e.g. \"80\")");
  }

  @Test
  void shouldNameTheObjectOfTheFailingDocument() throws IOException {
    Path f =
        file(POD + cnp("good", "endpointSelector: {}\ningress: [{}]\n") + "---\n"
            + cnp("bad", "endpointSelector: {}\negress: [{toPorts: [{ports: [{port: \"70000\"}]}]}]\n"));
    assertThat(error(f))
        .isEqualTo(f + ": CiliumNetworkPolicy default/bad: spec.egress[0].toPorts[0].ports[0].port: unable to parse port: strconv.ParseUint: parsing \"70000\": value out of range");
  }

  @Test
  void shouldNameClusterwidePolicyWithoutNamespace() throws IOException {
    Path f =
        file(POD + """
            apiVersion: cilium.io/v2
            kind: CiliumClusterwideNetworkPolicy
            metadata: {name: lockdown}
            spec:
              endpointSelector: {}
              ingress: [{fromEntities: [everything]}]
            """);
    assertThat(error(f))
        .isEqualTo(f + ": CiliumClusterwideNetworkPolicy lockdown: spec.ingress[0].fromEntities[0]: unsupported entity: everything");
  }

  @Test
  void shouldRejectUnknownFieldsInPodsAndNetworkPolicies() throws IOException {
    Path f =
        file("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: default}
            spec: {containers: [{name: main, image: example, portz: []}]}
            """);
    assertThat(error(f)).isEqualTo(f + ": Pod default/web: spec.containers[0].portz: unknown field \"portz\"");
    Path g =
        file(POD + """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: k, namespace: default}
            spec:
              podSelector: {}
              ingres: []
            """);
    assertThat(error(g)).isEqualTo(g + ": NetworkPolicy default/k: spec.ingres: unknown field \"ingres\"");
  }

  @Test
  void shouldRejectUnknownPod() throws IOException {
    Path f = file(POD);
    assertThat(error(f, "default/web", "default/nope"))
        .isEqualTo("--dst default/nope: unknown pod: no Pod (or workload) named \"nope\" in namespace \"default\" in the input files");
    assertThat(error(f, "other/web", "default/web"))
        .isEqualTo("--src other/web: unknown pod: no Pod (or workload) named \"web\" in namespace \"other\" in the input files");
  }

  @Test
  void shouldRejectBadAddress() throws IOException {
    assertThat(error(file(POD), "ip:10.0.1", "default/web")).isEqualTo("--src ip:10.0.1: \"10.0.1\" is not an IP address");
  }

  @Test
  void shouldRejectMissingFile() {
    Path missing = tmp.resolve("nope.yaml");
    assertThatThrownBy(() -> new ManifestLoader("default").load(List.of(missing)))
        .isInstanceOf(InputException.class)
        .hasMessage(missing + ": no such file or directory");
  }
}
