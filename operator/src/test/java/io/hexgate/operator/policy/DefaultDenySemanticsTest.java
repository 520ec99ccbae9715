package io.hexgate.operator.policy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When a pod is in default-deny for a direction (reference §1.3, §2.3, §3.1, §3.2), and that both ends
 * of a connection must allow it.
 */
class DefaultDenySemanticsTest {
  @TempDir Path tmp;

  private ClusterFixture cluster() {
    return ClusterFixture.in(tmp)
        .pod("default/web", "10.0.1.1", "app=web")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("default/other", "10.0.1.3", "app=other");
  }

  @Test
  void shouldLeaveEveryPodOpenWithoutPolicies() {
    // §3.1 mode default: an endpoint is unrestricted until a rule selects it for a direction.
    cluster()
        .assertAllowed("default/client", "default/web", "80/tcp", "53/udp", "8/icmp")
        .assertAllowed("ip:8.8.8.8", "default/web", "80/tcp")
        .assertAllowed("default/web", "ip:8.8.8.8", "443/tcp");
  }

  @Test
  void shouldLeaveIngressOpenWithEgressOnlyRule() {
    // §1.3: a rule with only egress puts egress in default-deny, ingress stays unrestricted.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            egress:
            - toEndpoints: [{matchLabels: {app: client}}]
            """)
        .assertAllowed("default/other", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.8.8", "default/web", "80/tcp")
        .assertAllowed("default/web", "default/client", "80/tcp")
        .assertDenied("default/web", "default/other", "80/tcp")
        .assertDenied("default/web", "ip:8.8.8.8", "80/tcp");
  }

  @Test
  void shouldIgnoreEmptyIngressListButDenyAllWithOneEmptyRuleUnlikeNaiveEquivalence() {
    // §1.3/§2.3: ingress: [] has no entry (no default-deny); ingress: [{}] has one that selects nothing.
    ClusterFixture.in(tmp)
        .pod("default/web", "10.0.1.1", "app=web")
        .pod("default/db", "10.0.1.3", "app=db")
        .pod("default/client", "10.0.1.2", "app=client")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress: []
            """)
        .cnp("default", """
            endpointSelector: {matchLabels: {app: db}}
            ingress: [{}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.8.8", "default/web", "80/tcp")
        .assertDenied("default/client", "default/db", "80/tcp", "53/udp", "8/icmp")
        .assertDenied("ip:8.8.8.8", "default/db", "80/tcp");
  }

  @Test
  void shouldDenyAllEgressWithOneEmptyEgressRule() {
    // §2.3: egress: [{}] selects no peer but enables default-deny for egress.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            egress: [{}]
            """)
        .assertDenied("default/web", "default/client", "80/tcp")
        .assertDenied("default/web", "ip:8.8.8.8", "53/udp")
        .assertAllowed("default/client", "default/web", "80/tcp");
  }

  @Test
  void shouldKeepOthersAllowedWhenDefaultDenyIsDisabledForTheDirection() {
    // §1.3: enableDefaultDeny {ingress: false} with an allow: the allow applies, nothing else is denied.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            enableDefaultDeny: {ingress: false}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertAllowed("default/other", "default/web", "80/tcp", "81/tcp")
        .assertAllowed("ip:8.8.8.8", "default/web", "80/tcp");
  }

  @Test
  void shouldStillEnforceDenyRulesWhenDefaultDenyIsDisabled() {
    // §1.3/§3.3: enableDefaultDeny false only drops the default-deny; deny rules still apply.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            enableDefaultDeny: {ingress: false, egress: false}
            ingressDeny:
            - fromEndpoints: [{matchLabels: {app: other}}]
            egressDeny:
            - toCIDR: [8.8.8.8/32]
            """)
        .assertDenied("default/other", "default/web", "80/tcp")
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertDenied("default/web", "ip:8.8.8.8", "53/udp")
        .assertAllowed("default/web", "ip:8.8.4.4", "53/udp");
  }

  @Test
  void shouldEnforceWhenAnySelectingRuleEnablesDefaultDenyAndStillApplyAllowsOfDisabledRules() {
    // §1.3: default-deny if any selecting rule enables it; allows of rules with it off still apply.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            enableDefaultDeny: {ingress: false}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            """)
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEntities: [world]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.8.8", "default/web", "80/tcp")
        .assertDenied("default/other", "default/web", "80/tcp");
  }

  @Test
  void shouldEnableDefaultDenyExplicitlyForADirectionWithoutRules() {
    // §1.3: an explicit enableDefaultDeny {egress: true} makes egress default-deny with no egress rules.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            enableDefaultDeny: {egress: true}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            """)
        .assertDenied("default/web", "default/client", "80/tcp")
        .assertDenied("default/web", "ip:8.8.8.8", "80/tcp");
  }

  @Test
  void shouldRequireBothSourceEgressAndDestinationIngressToAllow() {
    // §3.2: A -> B needs A's egress and B's ingress to allow; each side decides on its own.
    ClusterFixture c =
        cluster()
            .cnp("default", """
                endpointSelector: {matchLabels: {app: client}}
                egress:
                - toEndpoints: [{matchLabels: {app: web}}]
                  toPorts: [{ports: [{port: "80", protocol: TCP}]}]
                """)
            .cnp("default", """
                endpointSelector: {matchLabels: {app: web}}
                ingress:
                - fromEndpoints: [{matchLabels: {app: client}}]
                  toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
                - fromEndpoints: [{matchLabels: {app: other}}]
                """);
    c.assertDenied("default/client", "default/web", "80/tcp")
        .assertDenied("default/client", "default/web", "8080/tcp")
        .assertAllowed("default/other", "default/web", "80/tcp");
  }

  @Test
  void shouldDenyWhenOnlyTheSourceSideRestricts() {
    // §3.2: the destination allows everything, yet the source's egress policy drops the connection.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: client}}
            egress:
            - toEndpoints: [{matchLabels: {app: other}}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertAllowed("default/client", "default/other", "80/tcp")
        .assertAllowed("default/web", "default/client", "80/tcp");
  }
}
