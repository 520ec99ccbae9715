package io.hexgate.operator.endpoint.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class CiliumEndpointYamlTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private static final String CEP = String.join("\n",
      "apiVersion: cilium.io/v2",
      "kind: CiliumEndpoint",
      "metadata: {name: xwing, namespace: default}",
      "status:",
      "  id: 1234",
      "  external-identifiers:",
      "    {container-id: abc, k8s-namespace: default, k8s-pod-name: xwing, pod-name: default/xwing}",
      "  identity: {id: 22654, labels: ['k8s:class=xwing', 'k8s:org=alliance']}",
      "  networking: {addressing: [{ipv4: 10.0.0.7}], node: 192.168.49.2}",
      "  encryption: {key: 0}",
      "  named-ports: [{name: http, port: 80, protocol: TCP}]",
      "  state: waiting-for-identity",
      "  service-account: default",
      "");

  @Test
  void readsDashedFieldsAndStates() {
    CiliumEndpoint cep = YAML.unmarshal(CEP, CiliumEndpoint.class);
    EndpointStatus status = cep.getStatus();
    assertThat(status.id).isEqualTo(1234);
    assertThat(status.externalIdentifiers.k8sPodName).isEqualTo("xwing");
    assertThat(status.externalIdentifiers.podName).isEqualTo("default/xwing");
    assertThat(status.identity.id).isEqualTo(22654L);
    assertThat(status.networking.addressing.get(0).ipv4).isEqualTo("10.0.0.7");
    assertThat(status.namedPorts.get(0).port).isEqualTo(80);
    assertThat(status.state).isEqualTo(EndpointState.WAITING_FOR_IDENTITY);
    assertThat(status.serviceAccount).isEqualTo("default");
  }

  @Test
  void writesTheSameSpelling() {
    String yaml = YAML.asYaml(YAML.unmarshal(CEP, CiliumEndpoint.class));
    assertThat(yaml)
        .contains("external-identifiers:", "named-ports:", "service-account:", "state: \"waiting-for-identity\"")
        .doesNotContain("spec:", "WAITING");
  }
}
