package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.identity.ReservedIdentity;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code authentication.mode: required} (and {@code test-always-fail}): Hexgate cannot authenticate
 * peers, so such an allow element allows nothing, where a plain allow would let unauthenticated traffic
 * through that Cilium drops (AUTH_REQUIRED, 189). It still puts its direction in default-deny.
 */
class AuthenticationSemanticsTest {
  @TempDir Path tmp;

  private ClusterFixture cluster(String mode) {
    return ClusterFixture.in(tmp)
        .pod("default/api", "10.0.1.1", "app=api")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("default/monitor", "10.0.1.3", "app=monitor")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
              authentication: {mode: %s}
            - fromEndpoints: [{matchLabels: {app: monitor}}]
            egress:
            - toEndpoints: [{matchLabels: {app: client}}]
              authentication: {mode: %s}
            """.formatted(mode, mode));
  }

  @Test
  void shouldNeverEnforceARuleRequiringAuthenticationAsAPlainAllow() {
    for (String mode : new String[] {"required", "test-always-fail"}) {
      ClusterFixture c = cluster(mode);
      c.assertDenied("default/client", "default/api", "80/tcp")
          .assertDenied("default/api", "default/client", "80/tcp")
          .assertAllowed("default/monitor", "default/api", "80/tcp");
      String trace = c.trace("default/client", "default/api", "80/tcp").output();
      assertThat(trace)
          .contains("Note: spec.ingress[0].authentication.mode: " + mode + ": mutual authentication is not supported")
          .contains("189");
      RuleMap ingress = c.engine().ruleMap(c.endpoint("default/api").key(), Direction.INGRESS);
      long client = c.engine().identityOf(c.endpoint("default/client").key()).id();
      assertThat(ingress.entries()).noneMatch(e -> e.remoteIdentity() == client || e.remoteIdentity() == ReservedIdentity.ANY);
      assertThat(c.engine().ruleMap(c.endpoint("default/api").key(), Direction.EGRESS).enforcing()).isTrue();
    }
  }

  @Test
  void shouldEnforceAnAllowWithAuthenticationDisabledAsWritten() {
    cluster("disabled")
        .assertAllowed("default/client", "default/api", "80/tcp")
        .assertDenied("default/client", "default/api", "81/tcp")
        .assertAllowed("default/api", "default/client", "80/tcp");
  }
}
