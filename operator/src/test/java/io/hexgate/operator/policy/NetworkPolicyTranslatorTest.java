package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.hexgate.operator.policy.api.Rule;
import io.hexgate.operator.policy.api.RuleLabel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class NetworkPolicyTranslatorTest {

  /** A NetworkPolicy named np in namespace shop, with {@code spec} as its spec. */
  static NetworkPolicy np(String spec) {
    return Serialization.unmarshal(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: np, namespace: shop}
        spec:
        """
            + spec.indent(2),
        NetworkPolicy.class);
  }

  static Rule translateOne(NetworkPolicy np) {
    List<Rule> rules = NetworkPolicyTranslator.translate(np);
    assertThat(rules).hasSize(1);
    return rules.get(0);
  }

  /** Asserts that {@code npSpec} translates to the CNP rule {@code expected} (labels aside). */
  static void assertTranslation(String npSpec, String expected) {
    Rule actual = translateOne(np(npSpec));
    assertThat(actual)
        .usingRecursiveComparison()
        .ignoringFields("labels")
        .isEqualTo(RuleValidatorTest.rule(expected));
    // Whatever we produce must also be a valid Cilium rule.
    assertThat(RuleValidator.validateRule(actual, "spec", false)).isEmpty();
  }

  @Nested
  class Peers {

    @Test
    void shouldConfinePodSelectorPeerToThePolicyNamespace() {
      assertTranslation(
          """
          podSelector: {matchLabels: {app: backend}}
          ingress:
          - from:
            - podSelector:
                matchLabels: {app: frontend}
                matchExpressions: [{key: tier, operator: In, values: [web]}]
          """,
          """
          endpointSelector: {matchLabels: {app: backend}}
          ingress:
          - fromEndpoints:
            - matchLabels: {app: frontend, "k8s:io.kubernetes.pod.namespace": shop}
              matchExpressions: [{key: tier, operator: In, values: [web]}]
          """);
    }

    @Test
    void shouldRewriteNamespaceSelectorKeysToNamespaceLabels() {
      assertTranslation(
          """
          podSelector: {}
          egress:
          - to:
            - namespaceSelector:
                matchLabels: {kubernetes.io/metadata.name: payments}
                matchExpressions: [{key: env, operator: NotIn, values: [dev]}]
          """,
          """
          endpointSelector: {}
          egress:
          - toEndpoints:
            - matchLabels: {"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": payments}
              matchExpressions: [{key: "k8s:io.cilium.k8s.namespace.labels.env", operator: NotIn, values: [dev]}]
          ingress: [{}]
          """);
    }

    @Test
    void shouldAndPodAndNamespaceSelectorsInOnePeer() {
      assertTranslation(
          """
          podSelector: {}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {team: a}}
              podSelector: {matchLabels: {app: scraper}}
          """,
          """
          endpointSelector: {}
          ingress:
          - fromEndpoints:
            - matchLabels: {app: scraper, "k8s:io.cilium.k8s.namespace.labels.team": a}
          """);
    }

    @Test
    void shouldOrPodAndNamespaceSelectorsInTwoPeers() {
      assertTranslation(
          """
          podSelector: {}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {team: a}}
            - podSelector: {matchLabels: {app: scraper}}
          """,
          """
          endpointSelector: {}
          ingress:
          - fromEndpoints:
            - matchLabels: {"k8s:io.cilium.k8s.namespace.labels.team": a}
            - matchLabels: {app: scraper, "k8s:io.kubernetes.pod.namespace": shop}
          """);
    }

    @Test
    void shouldSelectEveryNamespaceForEmptyNamespaceSelector() {
      assertTranslation(
          """
          podSelector: {}
          ingress:
          - from:
            - namespaceSelector: {}
            - namespaceSelector: {}
              podSelector: {matchLabels: {app: prometheus}}
          """,
          """
          endpointSelector: {}
          ingress:
          - fromEndpoints:
            - matchExpressions: [{key: "k8s:io.kubernetes.pod.namespace", operator: Exists}]
            - matchLabels: {app: prometheus}
              matchExpressions: [{key: "k8s:io.kubernetes.pod.namespace", operator: Exists}]
          """);
    }

    @Test
    void shouldSplitIpBlocksFromSelectorsKeepingThePortsOnBoth() {
      assertTranslation(
          """
          podSelector: {matchLabels: {app: api}}
          policyTypes: [Egress]
          egress:
          - to:
            - ipBlock: {cidr: 10.0.0.0/8, except: [10.96.0.0/12]}
            - podSelector: {matchLabels: {app: db}}
            - ipBlock: {cidr: "2001:db8::/32"}
            ports:
            - port: 5432
          """,
          """
          endpointSelector: {matchLabels: {app: api}}
          egress:
          - toEndpoints:
            - matchLabels: {app: db, "k8s:io.kubernetes.pod.namespace": shop}
            toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
          - toCIDRSet:
            - {cidr: 10.0.0.0/8, except: [10.96.0.0/12]}
            - {cidr: "2001:db8::/32"}
            toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
          """);
    }

    @Test
    void shouldAllowEveryPeerWhenFromIsMissing() {
      assertTranslation(
          """
          podSelector: {}
          ingress:
          - ports: [{port: 80}]
          - {}
          """,
          """
          endpointSelector: {}
          ingress:
          - fromEntities: [all]
            toPorts: [{ports: [{port: "80", protocol: TCP}]}]
          - fromEntities: [all]
          """);
    }
  }

  @Nested
  class Ports {

    @Test
    void shouldTranslateNamedPortsRangesAndDefaults() {
      assertTranslation(
          """
          podSelector: {}
          ingress:
          - ports:
            - port: http
            - port: 8000
              endPort: 8080
            - protocol: UDP
            - port: 53
              protocol: UDP
            - port: 9000
              protocol: SCTP
          """,
          """
          endpointSelector: {}
          ingress:
          - fromEntities: [all]
            toPorts:
            - ports:
              - {port: http, protocol: TCP}
              - {port: "8000", endPort: 8080, protocol: TCP}
              - {port: "0", protocol: UDP}
              - {port: "53", protocol: UDP}
              - {port: "9000", protocol: SCTP}
          """);
    }

    @Test
    void shouldGiveEachElementItsOwnPortObjects() {
      Rule rule =
          translateOne(
              np(
                  """
                  podSelector: {}
                  ingress:
                  - from: [{ipBlock: {cidr: 10.0.0.0/8}}, {podSelector: {}}]
                    ports: [{port: 80}]
                  """));
      assertThat(rule.ingress.get(0).toPorts.get(0))
          .isNotSameAs(rule.ingress.get(1).toPorts.get(0));
    }
  }

  @Nested
  class DefaultDeny {

    @Test
    void shouldDenyAllIngressWhenIngressIsEmpty() {
      assertTranslation(
          "podSelector: {}\npolicyTypes: [Ingress]\ningress: []",
          "endpointSelector: {}\ningress: [{}]");
      assertTranslation("podSelector: {}", "endpointSelector: {}\ningress: [{}]");
    }

    @Test
    void shouldAllowAllIngressForOneEmptyRule() {
      assertTranslation(
          "podSelector: {}\npolicyTypes: [Ingress]\ningress: [{}]",
          "endpointSelector: {}\ningress: [{fromEntities: [all]}]");
    }

    @Test
    void shouldDenyOnlyEgressForEgressOnlyPolicy() {
      assertTranslation(
          "podSelector: {matchLabels: {app: a}}\npolicyTypes: [Egress]",
          "endpointSelector: {matchLabels: {app: a}}\negress: [{}]");
    }

    @Test
    void shouldDenyBothDirectionsWhenBothTypesAreListed() {
      assertTranslation(
          "podSelector: {}\npolicyTypes: [Ingress, Egress]",
          "endpointSelector: {}\ningress: [{}]\negress: [{}]");
    }

    @Test
    void shouldDefaultPolicyTypesToIngressPlusEgressWhenEgressRulesExist() {
      assertTranslation(
          """
          podSelector: {}
          egress:
          - to: [{podSelector: {}}]
          """,
          """
          endpointSelector: {}
          ingress: [{}]
          egress:
          - toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": shop}}]
          """);
    }

    @Test
    void shouldKeepRulesOfADirectionMissingFromPolicyTypes() {
      assertTranslation(
          """
          podSelector: {}
          policyTypes: [Egress]
          ingress:
          - from: [{podSelector: {}}]
          """,
          """
          endpointSelector: {}
          ingress:
          - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": shop}}]
          egress: [{}]
          """);
    }

    @Test
    void shouldLeaveEnableDefaultDenyUnset() {
      assertThat(translateOne(np("podSelector: {}")).enableDefaultDeny).isNull();
    }
  }

  @Nested
  class Labels {

    @Test
    void shouldLabelTheRuleWithItsOrigin() {
      NetworkPolicy np = np("podSelector: {}");
      np.getMetadata().setUid("6a0e2c4e-1111-2222-3333-444455556666");
      assertThat(translateOne(np).labels)
          .extracting(l -> l.source + ":" + l.key + "=" + l.value)
          .containsExactly(
              "k8s:io.cilium.k8s.policy.derived-from=NetworkPolicy",
              "k8s:io.cilium.k8s.policy.name=np",
              "k8s:io.cilium.k8s.policy.namespace=shop",
              "k8s:io.cilium.k8s.policy.uid=6a0e2c4e-1111-2222-3333-444455556666");
    }

    @Test
    void shouldTakeTheNameFromTheCiliumAnnotation() {
      NetworkPolicy np = np("podSelector: {}");
      np.getMetadata().setAnnotations(Map.of("io.cilium.name", "alias"));
      assertThat(translateOne(np).labels)
          .extracting(l -> l.key + "=" + l.value)
          .contains("io.cilium.k8s.policy.name=alias");

      np.getMetadata()
          .setAnnotations(Map.of("policy.cilium.io/name", "primary", "io.cilium.name", "alias"));
      assertThat(translateOne(np).labels)
          .extracting(l -> l.key + "=" + l.value)
          .contains("io.cilium.k8s.policy.name=primary");
    }

    @Test
    void shouldOmitTheUidLabelWithoutUid() {
      assertThat(translateOne(np("podSelector: {}")).labels)
          .extracting((RuleLabel l) -> l.key)
          .doesNotContain("io.cilium.k8s.policy.uid");
    }
  }

  @Nested
  class Validation {

    static List<FieldError> validate(String spec) {
      return NetworkPolicyTranslator.validate(np(spec));
    }

    static FieldError error(String path, String message) {
      return new FieldError(path, message);
    }

    @Test
    void shouldRejectEndPortBelowPort() {
      assertThat(validate("podSelector: {}\ningress: [{ports: [{port: 80, endPort: 79}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].ports[0].endPort",
                  "Invalid value: 80: must be greater than or equal to `port`"));
    }

    @Test
    void shouldRejectEndPortWithNamedPort() {
      assertThat(validate("podSelector: {}\ningress: [{ports: [{port: http, endPort: 8080}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].ports[0].endPort",
                  "Invalid value: 8080: may not be specified when `port` is non-numeric"));
    }

    @Test
    void shouldRejectEndPortWithoutPort() {
      assertThat(validate("podSelector: {}\negress: [{ports: [{protocol: UDP, endPort: 8080}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].ports[0].endPort",
                  "Invalid value: 8080: may not be specified when `port` is not specified"));
    }

    @Test
    void shouldRejectPortNumberOutOfRange() {
      assertThat(
              validate(
                  "podSelector: {}\n"
                      + "ingress: [{ports: [{port: 0}, {port: 70000, endPort: 70001}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].ports[0].port",
                  "Invalid value: 0: must be between 1 and 65535, inclusive"),
              error(
                  "spec.ingress[0].ports[1].port",
                  "Invalid value: 70000: must be between 1 and 65535, inclusive"),
              error(
                  "spec.ingress[0].ports[1].endPort",
                  "Invalid value: 70001: must be between 1 and 65535, inclusive"));
    }

    @Test
    void shouldRejectInvalidNamedPort() {
      assertThat(validate("podSelector: {}\ningress: [{ports: [{port: Http}, {port: \"80\"}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].ports[0].port",
                  "Invalid value: \"Http\": must contain only alpha-numeric characters (a-z, 0-9),"
                      + " and hyphens (-)"),
              error(
                  "spec.ingress[0].ports[1].port",
                  "Invalid value: \"80\": must contain at least one letter (a-z)"));
    }

    @Test
    void shouldRejectProtocolOtherThanTcpUdpSctp() {
      assertThat(validate("podSelector: {}\ningress: [{ports: [{port: 8, protocol: ICMP}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].ports[0].protocol",
                  "Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\""));
    }

    @Test
    void shouldRejectExceptOutsideOrEqualToCidr() {
      assertThat(
              validate(
                  """
                  podSelector: {}
                  egress:
                  - to:
                    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/24, 10.1.0.0/24, 10.0.0.0/16]}
                  """))
          .containsExactly(
              error(
                  "spec.egress[0].to[0].ipBlock.except[1]",
                  "Invalid value: \"10.1.0.0/24\": must be a strict subset of `cidr`"),
              error(
                  "spec.egress[0].to[0].ipBlock.except[2]",
                  "Invalid value: \"10.0.0.0/16\": must be a strict subset of `cidr`"));
    }

    @Test
    void shouldRejectInvalidCidr() {
      assertThat(validate("podSelector: {}\negress: [{to: [{ipBlock: {cidr: 10.0.0.1}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].to[0].ipBlock.cidr",
                  "Invalid value: \"10.0.0.1\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or"
                      + " 2001:db8::/64)"));
    }

    @Test
    void shouldRejectIpBlockCombinedWithSelector() {
      assertThat(
              validate(
                  "podSelector: {}\n"
                      + "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].from[0]",
                  "Forbidden: may not specify both ipBlock and another peer"));
    }

    @Test
    void shouldRejectEmptyPeer() {
      assertThat(validate("podSelector: {}\ningress: [{from: [{}]}]"))
          .containsExactly(error("spec.ingress[0].from[0]", "Required value: must specify a peer"));
    }

    @Test
    void shouldRejectInvalidSelector() {
      assertThat(
              validate(
                  """
                  podSelector:
                    matchExpressions: [{key: app, operator: In}]
                  ingress:
                  - from: [{namespaceSelector: {matchExpressions: [{key: team, operator: Equals}]}}]
                  """))
          .containsExactly(
              error(
                  "spec.podSelector.matchExpressions[0].values",
                  "Required value: must be specified when `operator` is 'In' or 'NotIn'"),
              error(
                  "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].operator",
                  "Invalid value: \"Equals\": not a valid selector operator"));
    }

    @Test
    void shouldRejectUnknownPolicyType() {
      assertThat(validate("podSelector: {}\npolicyTypes: [Ingress, Egres]"))
          .containsExactly(
              error(
                  "spec.policyTypes[1]",
                  "Unsupported value: \"Egres\": supported values: \"Ingress\", \"Egress\""));
    }

    @Test
    void shouldReportEveryError() {
      assertThat(
              validate(
                  """
                  podSelector: {matchLabels: {"bad key": x}}
                  ingress:
                  - from: [{}, {ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]
                    ports: [{port: 80, endPort: 10}, {protocol: icmp}]
                  egress:
                  - ports: [{port: web-, endPort: 90}]
                  """))
          .extracting(FieldError::path)
          .containsExactly(
              "spec.podSelector.matchLabels",
              "spec.ingress[0].ports[0].endPort",
              "spec.ingress[0].ports[1].protocol",
              "spec.ingress[0].from[0]",
              "spec.ingress[0].from[1].ipBlock.except[0]",
              "spec.egress[0].ports[0].endPort",
              "spec.egress[0].ports[0].port");
    }

    @Test
    void shouldAcceptAValidPolicy() {
      assertThat(
              validate(
                  """
                  podSelector: {matchLabels: {app.kubernetes.io/name: deathstar}}
                  policyTypes: [Ingress, Egress]
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}
                      podSelector: {matchExpressions: [{key: org, operator: Exists}]}
                    - ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}
                    ports: [{port: 80}, {port: http-alt, protocol: TCP}, {port: 8000, endPort: 8100}]
                  egress: [{}]
                  """))
          .isEmpty();
    }
  }
}
