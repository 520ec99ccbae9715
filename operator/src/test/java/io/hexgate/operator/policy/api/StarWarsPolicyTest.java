package io.hexgate.operator.policy.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.hexgate.operator.RepoRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cilium's published demo policies read into the model unchanged. */
class StarWarsPolicyTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  @Test
  void l3l4Policy() throws IOException {
    CiliumNetworkPolicy cnp = read("sw_l3_l4_policy.yaml");
    assertThat(cnp.getMetadata().getName()).isEqualTo("rule1");
    Rule rule = cnp.getSpec();
    assertThat(rule.description).isEqualTo("L3-L4 policy to restrict deathstar access to empire ships only");
    assertThat(rule.endpointSelector.matchLabels).isEqualTo(Map.of("org", "empire", "class", "deathstar"));
    IngressRule ingress = rule.ingress.get(0);
    assertThat(ingress.fromEndpoints.get(0).matchLabels).isEqualTo(Map.of("org", "empire"));
    PortProtocol port = ingress.toPorts.get(0).ports.get(0);
    assertThat(port.port).isEqualTo("80");
    assertThat(port.protocol).isEqualTo("TCP");
    assertThat(ingress.toPorts.get(0).rules).isNull();
  }

  @Test
  void l7Policy() throws IOException {
    CiliumNetworkPolicy cnp = read("sw_l3_l4_l7_policy.yaml");
    assertThat(cnp.getSpec().description).isEqualTo("L7 policy to restrict access to specific HTTP call");
    HttpRule http = cnp.getSpec().ingress.get(0).toPorts.get(0).rules.http.get(0);
    assertThat(http.method).isEqualTo("POST");
    assertThat(http.path).isEqualTo("/v1/request-landing");
  }

  @Test
  void entitiesUseTheirYamlSpelling() {
    String yaml = "fromEntities: [remote-node, kube-apiserver, world]\n";
    IngressRule rule = YAML.unmarshal(yaml, IngressRule.class);
    assertThat(rule.fromEntities).containsExactly("remote-node", "kube-apiserver", "world");
    assertThat(YAML.asYaml(rule)).contains("- \"remote-node\"").doesNotContain("REMOTE_NODE");
    assertThat(YAML.unmarshal(YAML.asYaml(List.of(Entity.values())), Entity[].class))
        .containsExactly(Entity.values());
  }

  private static CiliumNetworkPolicy read(String file) throws IOException {
    String yaml = Files.readString(RepoRoot.find().resolve("examples/starwars").resolve(file));
    return YAML.unmarshal(yaml, CiliumNetworkPolicy.class);
  }
}
