package io.hexgate.operator.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class KubernetesErrorsTest {
  private static KubernetesClientException answered(Status status) {
    return new KubernetesClientException(status);
  }

  @Test
  void anAnswerReadsAsItsCodeReasonAndMessage() {
    Status conflict = new StatusBuilder().withCode(409).withReason("Conflict")
        .withMessage("Operation cannot be fulfilled on ciliumnetworkpolicies.cilium.io \"rule1\": the object has been modified").build();
    assertThat(KubernetesErrors.describe(answered(conflict))).isEqualTo(
        "HTTP 409 Conflict: Operation cannot be fulfilled on ciliumnetworkpolicies.cilium.io \"rule1\": the object has been modified");
  }

  @Test
  void refusedFieldsAreNamedOnceEach() {
    Status invalid = new StatusBuilder().withCode(422).withReason("Invalid").withMessage("CiliumNetworkPolicy.cilium.io \"bad\" is invalid")
        .withNewDetails().addNewCause().withField("spec.endpointSelector").withMessage("Required value").endCause().endDetails().build();
    assertThat(KubernetesErrors.describe(answered(invalid))).isEqualTo(
        "HTTP 422 Invalid: CiliumNetworkPolicy.cilium.io \"bad\" is invalid (spec.endpointSelector: Required value)");
    Status listed = new StatusBuilder(invalid).withMessage("CiliumNetworkPolicy.cilium.io \"bad\" is invalid: spec.endpointSelector: Required value").build();
    assertThat(KubernetesErrors.describe(answered(listed))).isEqualTo(
        "HTTP 422 Invalid: CiliumNetworkPolicy.cilium.io \"bad\" is invalid: spec.endpointSelector: Required value");
  }

  @Test
  void noAnswerSaysWhyNoneCame() {
    KubernetesClientException e = new KubernetesClientException("An error has occurred.", new ConnectException("Connection refused"));
    assertThat(KubernetesErrors.describe(e)).isEqualTo("no answer from the API server: Connection refused");
  }
}
