package io.hexgate.operator.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.MutableClock;
import io.hexgate.operator.TestOperator;
import io.hexgate.operator.policy.api.CiliumClusterwideNetworkPolicy;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.policy.api.PolicyStatus;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A policy using fields Hexgate does not enforce stays Valid and gets a {@code FieldsNotEnforced}
 * condition naming each field and what happens instead; the condition goes when the fields go.
 */
class FieldsNotEnforcedStatusTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private HexgateOperator operator;

  @BeforeEach
  void start() {
    operator = HexgateOperator.create(
        TestOperator.config(api.client(), new MutableClock())
            .status(PolicyStatusTracker.DEFAULT_NODE_LIMIT, Duration.ofMillis(100))
            .build());
    operator.start();
  }

  @AfterEach
  void stop() {
    operator.stop();
    api.close();
  }

  private static final String AUTH_REQUIRED =
      """
      apiVersion: cilium.io/v2
      kind: CiliumNetworkPolicy
      metadata: {name: mtls, namespace: default}
      spec:
        endpointSelector: {matchLabels: {app: api}}
        ingress:
        - fromEndpoints: [{matchLabels: {app: client}}]
          authentication: {mode: required}
        - fromEndpoints: [{matchLabels: {app: monitor}}]
          toPorts: [{ports: [{port: "9090", protocol: TCP}]}]
        egress:
        - toFQDNs: [{matchName: example.com}]
        - toEndpoints: [{matchLabels: {app: db}}]
          authentication: {mode: test-always-fail}
      """;

  private CiliumNetworkPolicy cnp(String yaml) {
    return kube.getKubernetesSerialization().unmarshal(yaml, CiliumNetworkPolicy.class);
  }

  private PolicyStatus status() {
    CiliumNetworkPolicy cnp = kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("mtls").get();
    return cnp == null ? null : cnp.getStatus();
  }

  private static Optional<Condition> condition(PolicyStatus s, String type) {
    return s == null || s.conditions == null
        ? Optional.empty()
        : s.conditions.stream().filter(c -> c.getType().equals(type)).findFirst();
  }

  @Test
  void shouldReportAuthenticationAndOtherUnenforcedFieldsAndDropTheConditionWhenTheyGo() {
    kube.resource(cnp(AUTH_REQUIRED)).create();

    await().atMost(WAIT).untilAsserted(() -> {
      PolicyStatus s = status();
      assertThat(condition(s, "Valid")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
      assertThat(condition(s, PolicyStatusTracker.FIELDS_NOT_ENFORCED)).isPresent();
    });
    Condition c = condition(status(), PolicyStatusTracker.FIELDS_NOT_ENFORCED).orElseThrow();
    assertThat(c.getStatus()).isEqualTo("True");
    assertThat(c.getReason()).isEqualTo("UnsupportedFields");
    assertThat(c.getLastTransitionTime()).isNotNull();
    assertThat(c.getMessage())
        .startsWith("3 fields are not enforced: ")
        .contains("spec.ingress[0].authentication.mode: required: ", "allows nothing", "189")
        .contains("spec.egress[1].authentication.mode: test-always-fail: ")
        .contains("spec.egress[0].toFQDNs: ")
        .doesNotContain("ingress[1]");
    // its allows are not rendered: only the monitor's port is open on ingress
    var ingress = operator.engine().read(e -> e.rules(io.hexgate.operator.policy.PolicyRef.cnp("default", "mtls")).get(0).ingress());
    assertThat(ingress).singleElement().satisfies(t -> assertThat(t.path()).isEqualTo("spec.ingress[1].toPorts[0]"));

    // a patch: the operator may have written the status since the last read
    kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("mtls").edit(plain -> {
      plain.getSpec().ingress.get(0).authentication = null;
      plain.getSpec().egress.get(1).authentication.mode = "disabled";
      plain.getSpec().egress.remove(0);
      return plain;
    });

    await().atMost(WAIT).untilAsserted(() -> {
      PolicyStatus s = status();
      assertThat(s.observedGeneration).isEqualTo(2L);
      assertThat(condition(s, PolicyStatusTracker.FIELDS_NOT_ENFORCED)).isEmpty();
      assertThat(condition(s, "Valid")).hasValueSatisfying(v -> assertThat(v.getStatus()).isEqualTo("True"));
    });
  }

  @Test
  void shouldReportUnenforcedFieldsOfAClusterwidePolicy() {
    kube.resource(
            kube.getKubernetesSerialization().unmarshal(
                """
                apiVersion: cilium.io/v2
                kind: CiliumClusterwideNetworkPolicy
                metadata: {name: hosts}
                spec:
                  nodeSelector: {}
                  ingress:
                  - fromEntities: [cluster]
                """,
                CiliumClusterwideNetworkPolicy.class))
        .create();
    await().atMost(WAIT).untilAsserted(() -> {
      CiliumClusterwideNetworkPolicy p = kube.resources(CiliumClusterwideNetworkPolicy.class).withName("hosts").get();
      assertThat(condition(p.getStatus(), PolicyStatusTracker.FIELDS_NOT_ENFORCED))
          .hasValueSatisfying(c -> assertThat(c.getMessage()).contains("spec.nodeSelector: host policies are not enforced"));
      assertThat(condition(p.getStatus(), "Valid")).hasValueSatisfying(v -> assertThat(v.getStatus()).isEqualTo("True"));
    });
  }
}
