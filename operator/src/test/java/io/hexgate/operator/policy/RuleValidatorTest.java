package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.hexgate.operator.policy.api.Rule;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class RuleValidatorTest {

  static Rule rule(String yaml) {
    return Serialization.unmarshal(yaml, Rule.class);
  }

  static List<FieldError> cnp(String yaml) {
    return RuleValidator.validatePolicy(rule(yaml), null, false);
  }

  static List<FieldError> ccnp(String yaml) {
    return RuleValidator.validatePolicy(rule(yaml), null, true);
  }

  static FieldError error(String path, String message) {
    return new FieldError(path, message);
  }

  /** A CNP rule body selecting deathstar pods, with {@code direction} appended. */
  static List<FieldError> deathstar(String direction) {
    return cnp("endpointSelector: {matchLabels: {org: empire, class: deathstar}}\n" + direction);
  }

  @Nested
  class RuleShape {

    @Test
    void shouldRequireSpecOrSpecs() {
      assertThat(RuleValidator.validatePolicy(null, null, false))
          .containsExactly(error("spec", "spec or specs must be provided"));
      assertThat(RuleValidator.validatePolicy(null, List.of(), true))
          .containsExactly(error("spec", "spec or specs must be provided"));
    }

    @Test
    void shouldRejectRuleWithoutAnyDirection() {
      assertThat(cnp("endpointSelector: {}"))
          .containsExactly(
              error(
                  "spec",
                  "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny"));
    }

    @Test
    void shouldAcceptEmptyDirectionListsAsNoRules() {
      // Cilium 1.18+ would mark this Valid=False; it has no effect on traffic either way.
      assertThat(cnp("endpointSelector: {}\ningress: []")).isEmpty();
      assertThat(cnp("endpointSelector: {}\ningressDeny: []\negress: []")).isEmpty();
    }

    @Test
    void shouldAcceptOneEmptyIngressRuleAsDefaultDeny() {
      assertThat(cnp("endpointSelector: {}\ningress: [{}]")).isEmpty();
      assertThat(cnp("endpointSelector: {}\negressDeny: [{}]")).isEmpty();
    }

    @Test
    void shouldRequireEndpointSelectorOrNodeSelector() {
      assertThat(cnp("ingress: [{}]"))
          .containsExactly(error("spec", "rule must have one of EndpointSelector or NodeSelector"));
    }

    @Test
    void shouldRejectBothEndpointSelectorAndNodeSelector() {
      assertThat(ccnp("endpointSelector: {}\nnodeSelector: {}\ningress: [{}]"))
          .containsExactly(
              error("spec", "rule cannot have both EndpointSelector and NodeSelector"));
    }

    @Test
    void shouldRejectNodeSelectorInNamespacedPolicy() {
      assertThat(cnp("nodeSelector: {}\ningress: [{}]"))
          .containsExactly(error("spec.nodeSelector", "rule cannot have NodeSelector"));
      assertThat(ccnp("nodeSelector: {}\ningress: [{}]")).isEmpty();
    }

    @Test
    void shouldPrefixPathsOfSpecsElements() {
      Rule good = rule("endpointSelector: {}\negress: [{}]");
      Rule bad =
          rule(
              """
              endpointSelector: {}
              egress:
              - {}
              - {}
              - toCIDRSet:
                - cidr: 10.0.0.0/8
                  except: [10.1.0.0/16, 192.168.0.0/16]
              """);
      assertThat(RuleValidator.validatePolicy(null, List.of(good, bad), false))
          .containsExactly(
              error(
                  "specs[1].egress[2].toCIDRSet[0].except[1]",
                  "allow CIDR prefix 10.0.0.0/8 does not contain exclude CIDR prefix"
                      + " 192.168.0.0/16"));
    }

    @Test
    void shouldValidateSpecAndSpecsTogether() {
      Rule bad = rule("ingress: [{}]");
      assertThat(RuleValidator.validatePolicy(bad, List.of(bad), true))
          .extracting(FieldError::path)
          .containsExactly("spec", "specs[0]");
    }
  }

  @Nested
  class PeerMembers {

    @Test
    void shouldRejectCombiningFromEndpointsAndFromCidr() {
      assertThat(
              deathstar(
                  """
                  ingress:
                  - fromCIDR: [10.0.0.0/8]
                    fromEndpoints: [{matchLabels: {org: empire}}]
                  """))
          .containsExactly(
              error(
                  "spec.ingress[0].fromCIDR",
                  "combining FromEndpoints and FromCIDR is not supported yet"));
    }

    @Test
    void shouldNameEachUnknownEntityWithItsIndex() {
      assertThat(
              deathstar(
                  """
                  egress:
                  - toEntities: [world, galaxy]
                  ingress:
                  - fromEntities: [nebula]
                  """))
          .containsExactlyInAnyOrder(
              error("spec.egress[0].toEntities[1]", "unsupported entity: galaxy"),
              error("spec.ingress[0].fromEntities[0]", "unsupported entity: nebula"));
    }

    @Test
    void shouldReportEachExtraPeerMemberAgainstTheFirst() {
      assertThat(
              deathstar(
                  """
                  egress:
                  - toEntities: [world]
                    toCIDR: [10.0.0.0/8]
                    toFQDNs: [{matchName: cilium.io}]
                  """))
          .containsExactly(
              error(
                  "spec.egress[0].toCIDR", "combining ToEntities and ToCIDR is not supported yet"),
              error(
                  "spec.egress[0].toFQDNs",
                  "combining ToEntities and ToFQDNs is not supported yet"));
    }

    @Test
    void shouldRejectCombiningToFqdnsWithToEndpoints() {
      assertThat(
              deathstar(
                  """
                  egress:
                  - toEndpoints: [{}]
                    toFQDNs: [{matchPattern: "*.cilium.io"}]
                  """))
          .containsExactly(
              error(
                  "spec.egress[0].toFQDNs",
                  "combining ToEndpoints and ToFQDNs is not supported yet"));
    }

    @Test
    void shouldAcceptEveryPeerMemberWithToPorts() {
      assertThat(
              deathstar(
                  """
                  egress:
                  - toServices: [{k8sService: {serviceName: api, namespace: default}}]
                    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
                  - toNodes: [{}]
                    toPorts: [{ports: [{port: "10250", protocol: TCP}]}]
                  - toFQDNs: [{matchName: cilium.io}]
                    toPorts: [{ports: [{port: "443"}]}]
                  """))
          .isEmpty();
    }

    @Test
    void shouldRejectCombiningToServicesWithToEndpoints() {
      assertThat(
              deathstar(
                  "egress: [{toEndpoints: [{}], toServices: [{k8sService: {serviceName: api}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toServices",
                  "combining ToEndpoints and ToServices is not supported yet"));
    }

    @Test
    void shouldRejectNonEmptyToRequires() {
      assertThat(deathstar("egressDeny: [{toRequires: [a, b], toEntities: [world]}]"))
          .containsExactly(
              error("spec.egressDeny[0].toRequires", "Too many: 2: must have at most 0 items"));
    }

    @Test
    void shouldRejectCidrGroupRefThatIsNotADnsSubdomain() {
      assertThat(deathstar("egress: [{toCIDRSet: [{cidrGroupRef: Corp_Nets}]}]"))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.path()).isEqualTo("spec.egress[0].toCIDRSet[0].cidrGroupRef");
                assertThat(e.message())
                    .startsWith("Invalid value: \"Corp_Nets\": a lowercase RFC 1123 subdomain");
              });
    }

    @Test
    void shouldRejectNonEmptyFromRequires() {
      assertThat(deathstar("ingress: [{fromRequires: [a], fromEndpoints: [{}]}]"))
          .containsExactly(
              error("spec.ingress[0].fromRequires", "Too many: 1: must have at most 0 items"));
    }

    @Test
    void shouldRejectUnparsableCidr() {
      assertThat(deathstar("egress: [{toCIDR: [10.0.0.0/33]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toCIDR[0]",
                  "unable to parse CIDR: invalid CIDR \"10.0.0.0/33\": prefix length out of range"
                      + " (0-32 for IPv4)"));
    }

    @Test
    void shouldRequireAddressInFromCidr() {
      assertThat(deathstar("ingress: [{fromCIDR: [\"\"]}]"))
          .containsExactly(error("spec.ingress[0].fromCIDR[0]", "IP must be specified"));
    }

    @Test
    void shouldAcceptBareAddressesAndIpv6InCidrLists() {
      assertThat(deathstar("egress: [{toCIDR: [192.0.2.1, 2001:db8::/32, 2001:db8::1]}]"))
          .isEmpty();
    }

    @Test
    void shouldRejectBareAddressInCidrRule() {
      assertThat(deathstar("egress: [{toCIDRSet: [{cidr: 192.0.2.1}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toCIDRSet[0].cidr",
                  "unable to parse CIDRRule \"192.0.2.1\": no '/'"));
    }

    @Test
    void shouldRequireExactlyOneOfCidrGroupRefAndSelector() {
      assertThat(
              deathstar(
                  """
                  egress:
                  - toCIDRSet:
                    - except: [10.0.0.0/8]
                    - cidr: 10.0.0.0/8
                      cidrGroupRef: corp
                  """))
          .containsExactly(
              error(
                  "spec.egress[0].toCIDRSet[0]",
                  "one of cidr, cidrGroupRef, or cidrGroupSelector is required"),
              error(
                  "spec.egress[0].toCIDRSet[1]",
                  "more than one of cidr, cidrGroupRef, or cidrGroupSelector may not be set"));
    }

    @Test
    void shouldRejectExceptOutsideCidr() {
      assertThat(
              deathstar(
                  """
                  egress:
                  - toCIDRSet:
                    - cidr: 10.0.0.0/16
                      except: [10.0.1.0/24, 10.1.0.0/24, 10.0.0.0/8, "2001:db8::/64"]
                  """))
          .containsExactly(
              error(
                  "spec.egress[0].toCIDRSet[0].except[1]",
                  "allow CIDR prefix 10.0.0.0/16 does not contain exclude CIDR prefix 10.1.0.0/24"),
              error(
                  "spec.egress[0].toCIDRSet[0].except[2]",
                  "allow CIDR prefix 10.0.0.0/16 does not contain exclude CIDR prefix 10.0.0.0/8"),
              error(
                  "spec.egress[0].toCIDRSet[0].except[3]",
                  "allow CIDR prefix 10.0.0.0/16 does not contain exclude CIDR prefix"
                      + " 2001:db8::/64"));
    }

    @Test
    void shouldRejectUnparsableExcept() {
      assertThat(
              deathstar("ingress: [{fromCIDRSet: [{cidr: 10.0.0.0/8, except: [10.0.0.300/24]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].fromCIDRSet[0].except[0]",
                  "unable to parse CIDR: invalid CIDR \"10.0.0.300/24\": IPv4 field has value"
                      + " >255"));
    }

    @Test
    void shouldValidateCidrGroupSelectorAsPlainKubernetesSelector() {
      assertThat(
              deathstar(
                  "egress: [{toCIDRSet: [{cidrGroupSelector: {matchLabels: {\"k8s:team\": a}}}]}]"))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.path())
                    .isEqualTo("spec.egress[0].toCIDRSet[0].cidrGroupSelector.matchLabels");
                assertThat(e.message())
                    .startsWith(
                        "invalid label selector: Invalid value: \"k8s:team\": name part must"
                            + " consist of");
              });
    }

    @Test
    void shouldRequireExactlyOneFieldInFqdnSelector() {
      assertThat(
              deathstar("egress: [{toFQDNs: [{matchName: a.io, matchPattern: \"*.a.io\"}, {}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toFQDNs[0]",
                  "only one of MatchName or MatchPattern is allowed in an FQDNSelector"),
              error(
                  "spec.egress[0].toFQDNs[1]",
                  "one of MatchName or MatchPattern is required in an FQDNSelector"));
    }

    @Test
    void shouldRejectFqdnNameWithInvalidCharacters() {
      assertThat(
              deathstar(
                  "egress: [{toFQDNs: [{matchName: \"a..io\"}, {matchPattern: \"*.c_d.io.\"}]}]"))
          .extracting(FieldError::path)
          .containsExactly("spec.egress[0].toFQDNs[0].matchName");
    }
  }

  @Nested
  class Selectors {

    @Test
    void shouldRejectAnUnknownOperator() {
      assertThat(
              cnp(
                  """
                  endpointSelector:
                    matchExpressions: [{key: org, operator: in, values: [empire]}]
                  ingress: [{}]
                  """))
          .singleElement()
          .satisfies(e -> {
            assertThat(e.path()).isEqualTo("spec.endpointSelector.matchExpressions[0].operator");
            assertThat(e.message()).contains("\"in\"").contains("not a valid selector operator");
          });
    }

    @Test
    void shouldRejectInOperatorWithoutValues() {
      assertThat(
              cnp(
                  """
                  endpointSelector:
                    matchExpressions: [{key: org, operator: In}]
                  ingress: [{}]
                  """))
          .containsExactly(
              error(
                  "spec.endpointSelector.matchExpressions[0].values",
                  "invalid label selector: Required value: must be specified when `operator` is"
                      + " 'In' or 'NotIn'"));
    }

    @Test
    void shouldRejectExistsOperatorWithValues() {
      assertThat(
              deathstar(
                  """
                  ingress:
                  - fromEndpoints:
                    - matchExpressions: [{key: "k8s:io.kubernetes.pod.namespace", operator: Exists, values: [a]}]
                  """))
          .containsExactly(
              error(
                  "spec.ingress[0].fromEndpoints[0].matchExpressions[0].values",
                  "invalid label selector: Forbidden: may not be specified when `operator` is"
                      + " 'Exists' or 'DoesNotExist'"));
    }

    @Test
    void shouldRejectInvalidLabelKey() {
      assertThat(deathstar("egress: [{toEndpoints: [{matchLabels: {\"app!\": web}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toEndpoints[0].matchLabels",
                  "invalid label selector: Invalid value: \"app!\": name part must consist of"
                      + " alphanumeric characters, '-', '_' or '.', and must start and end with an"
                      + " alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc',"
                      + " regex used for validation is"
                      + " '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
    }

    @Test
    void shouldRejectInvalidLabelValue() {
      assertThat(
              deathstar(
                  "ingress: [{fromEndpoints: [{matchExpressions: [{key: org, operator: In, values:"
                      + " [\"-x\"]}]}]}]"))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.path())
                    .isEqualTo("spec.ingress[0].fromEndpoints[0].matchExpressions[0].values[0]");
                assertThat(e.message())
                    .startsWith(
                        "invalid label selector: Invalid value: \"-x\": a valid label must be");
              });
    }

    @Test
    void shouldRejectLabelValueLongerThan63Characters() {
      assertThat(
              deathstar(
                  "ingress: [{fromEndpoints: [{matchLabels: {org: " + "x".repeat(64) + "}}]}]"))
          .extracting(FieldError::message)
          .containsExactly(
              "invalid label selector: Invalid value: \""
                  + "x".repeat(64)
                  + "\": must be no more than 63 characters");
    }

    @Test
    void shouldAcceptSourcePrefixedKeys() {
      assertThat(
              cnp(
                  """
                  endpointSelector:
                    matchLabels:
                      "k8s:io.kubernetes.pod.namespace": default
                      "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": default
                      app.kubernetes.io/name: deathstar
                      "any:org": empire
                  ingress:
                  - fromEndpoints:
                    - matchLabels: {"reserved:host": ""}
                    - matchExpressions: [{key: "k8s:io.kubernetes.pod.namespace", operator: Exists}]
                  """))
          .isEmpty();
    }

    @Test
    void shouldRejectLabelKeyThatIsTooLongOnceCiliumAddsItsSource() {
      // 60 characters are a valid Kubernetes name, but Cilium validates "any." + key.
      assertThat(
              deathstar("ingress: [{fromEndpoints: [{matchLabels: {" + "a".repeat(60) + ": b}}]}]"))
          .extracting(FieldError::message)
          .containsExactly(
              "invalid label selector: Invalid value: \""
                  + "a".repeat(60)
                  + "\": name part must be no more than 63 characters");
    }
  }

  @Nested
  class Ports {

    @Test
    void shouldRejectPortThatIsNotANumber() {
      assertThat(deathstar("ingress: [{toPorts: [{ports: [{port: \"8o8o!\"}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].port",
                  "unable to parse port: strconv.ParseUint: parsing \"8o8o!\": invalid syntax (not"
                      + " a number, and not a valid port name: must contain only alpha-numeric"
                      + " characters (a-z, 0-9), and hyphens (-))"));
    }

    @Test
    void shouldAcceptVrrpAndIgmpWithoutAPortInHostPolicies() {
      // Cilium 1.19's extended protocols, as in its "allow-extended-protocols" host policy example.
      assertThat(
              ccnp(
                  """
                  nodeSelector: {matchLabels: {type: egress-worker}}
                  egress:
                  - toPorts: [{ports: [{port: "22", protocol: TCP}, {protocol: VRRP}]}]
                  - toEntities: [world]
                    toPorts: [{ports: [{protocol: IGMP}, {port: "0", protocol: VRRP}]}]
                  ingressDeny: [{toPorts: [{ports: [{protocol: IGMP}]}]}]
                  """))
          .isEmpty();
      // The CRD enum holds them for every rule, not only host policies.
      assertThat(deathstar("ingress: [{toPorts: [{ports: [{protocol: VRRP}]}]}]\n")).isEmpty();
    }

    @Test
    void shouldRejectAPortWithVrrpOrIgmp() {
      assertThat(
              ccnp(
                  """
                  nodeSelector: {}
                  ingress: [{toPorts: [{ports: [{port: "112", protocol: VRRP}]}]}]
                  egressDeny: [{toPorts: [{ports: [{port: "http", protocol: IGMP}]}]}]
                  """))
          .containsExactlyInAnyOrder(
              error("spec.ingress[0].toPorts[0].ports[0].port", "port must be empty or 0"),
              error("spec.egressDeny[0].toPorts[0].ports[0].port", "port must be empty or 0"));
    }

    @Test
    void shouldRejectAnUnknownProtocolInAllowAndDenyRules() {
      assertThat(
              deathstar(
                  """
                  ingress: [{toPorts: [{ports: [{port: "80", protocol: TCPX}]}]}]
                  egressDeny: [{toPorts: [{ports: [{port: "53", protocol: dns}]}]}]
                  """))
          .containsExactlyInAnyOrder(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].protocol",
                  "unsupported protocol \"TCPX\": must be one of TCP, UDP, SCTP, VRRP, IGMP, ANY"),
              error(
                  "spec.egressDeny[0].toPorts[0].ports[0].protocol",
                  "unsupported protocol \"dns\": must be one of TCP, UDP, SCTP, VRRP, IGMP, ANY"));
    }

    @Test
    void shouldRejectPortOutOfRange() {
      assertThat(deathstar("ingress: [{toPorts: [{ports: [{port: \"65536\"}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].port",
                  "unable to parse port: strconv.ParseUint: parsing \"65536\": value out of"
                      + " range"));
    }

    @Test
    void shouldRejectPortWithLeadingZero() {
      assertThat(deathstar("ingress: [{toPorts: [{ports: [{port: \"080\"}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].port",
                  "unable to parse port: \"080\" has a leading zero"));
    }

    @Test
    void shouldRejectMissingPort() {
      assertThat(deathstar("egressDeny: [{toPorts: [{ports: [{protocol: UDP}]}]}]"))
          .containsExactly(
              error("spec.egressDeny[0].toPorts[0].ports[0].port", "port must be specified"));
    }

    @Test
    void shouldRejectInvalidNamedPort() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: my--port}, {port:"
                      + " a-very-long-port-name}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].port",
                  "unable to parse port: strconv.ParseUint: parsing \"my--port\": invalid syntax"
                      + " (not a number, and not a valid port name: must not contain consecutive"
                      + " hyphens)"),
              error(
                  "spec.ingress[0].toPorts[0].ports[1].port",
                  "unable to parse port: strconv.ParseUint: parsing \"a-very-long-port-name\":"
                      + " invalid syntax (not a number, and not a valid port name: must be no more"
                      + " than 15 characters)"));
    }

    @Test
    void shouldRejectPortNameThatIsANumberWrittenInWords() {
      // Hexgate's own check: Cilium would take "eighty" as a named port that never resolves.
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: eighty}, {port: Eighty-Eight, protocol: UDP}]}]}]\n"
                      + "egressDeny: [{toPorts: [{ports: [{port: twentyone}, {port: one-hundred}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].port",
                  "port \"eighty\" is a number written out in words; write it as digits (e.g."
                      + " \"80\")"),
              error(
                  "spec.ingress[0].toPorts[0].ports[1].port",
                  "port \"Eighty-Eight\" is a number written out in words; write it as digits"
                      + " (e.g. \"88\")"),
              error(
                  "spec.egressDeny[0].toPorts[0].ports[0].port",
                  "port \"twentyone\" is a number written out in words; write it as digits (e.g."
                      + " \"21\")"),
              error(
                  "spec.egressDeny[0].toPorts[0].ports[1].port",
                  "port \"one-hundred\" is a number written out in words; write it as digits"
                      + " (e.g. \"100\")"));
    }

    @Test
    void shouldKeepPortNamesThatOnlyContainNumberWords() {
      // "eighteen" is a number, but these names merely contain number words.
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: http-eighty}, {port: tentacle}, {port:"
                      + " none}, {port: often}]}]}]"))
          .isEmpty();
    }

    @Test
    void shouldAcceptNamedPortsInAnyCaseAndPortZero() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: HTTP}, {port: dns-tcp}, {port:"
                      + " \"0\"}]}]}]"))
          .isEmpty();
    }

    @Test
    void shouldRejectEndPortBelowPort() {
      assertThat(deathstar("ingress: [{toPorts: [{ports: [{port: \"8080\", endPort: 8000}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].endPort",
                  "endPort (8000) must be greater than or equal to port (8080)"));
    }

    @Test
    void shouldRejectEndPortWithNamedPort() {
      assertThat(deathstar("ingress: [{toPorts: [{ports: [{port: http, endPort: 8080}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].endPort",
                  "endPort can only be used with a numeric port, not with the named port"
                      + " \"http\""));
    }

    @Test
    void shouldAcceptPortRange() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: \"8000\", endPort: 8080, protocol:"
                      + " TCP}]}]}]"))
          .isEmpty();
    }

    @Test
    void shouldRejectTooManyPorts() {
      StringBuilder ports = new StringBuilder();
      for (int i = 1; i <= 41; i++) {
        ports.append(i == 1 ? "" : ", ").append("{port: \"").append(i).append("\"}");
      }
      assertThat(deathstar("ingressDeny: [{toPorts: [{ports: [" + ports + "]}]}]"))
          .containsExactly(
              error("spec.ingressDeny[0].toPorts[0].ports", "too many ports, the max is 40"));
    }
  }

  @Nested
  class L7 {

    @Test
    void shouldRejectHttpRulesUnlessProtocolIsTcp() {
      assertThat(
              deathstar(
                  """
                  ingress:
                  - toPorts:
                    - ports: [{port: "80"}, {port: "81", protocol: UDP}, {port: "82", protocol: TCP}]
                      rules: {http: [{method: GET}]}
                  """))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].protocol",
                  "L7 rules can only apply to TCP (not ANY) except for DNS rules"),
              error(
                  "spec.ingress[0].toPorts[0].ports[1].protocol",
                  "L7 rules can only apply to TCP (not UDP) except for DNS rules"));
    }

    @Test
    void shouldRejectL7RulesOnPortZero() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: \"0\", protocol: TCP}], rules: {http:"
                      + " [{}]}}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].ports[0].port",
                  "L7 rules can not be used when a port is 0"));
    }

    @Test
    void shouldRejectDnsRulesOnIngress() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: \"53\", protocol: UDP}], rules: {dns:"
                      + " [{matchPattern: \"*\"}]}}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].rules.dns",
                  "L7 protocol DNS is not supported on ingress yet"));
    }

    @Test
    void shouldRequirePortsForDnsRules() {
      assertThat(deathstar("egress: [{toPorts: [{rules: {dns: [{matchPattern: \"*\"}]}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toPorts[0].rules.dns",
                  "port 53 must be specified for DNS rules"));
    }

    @Test
    void shouldRejectDnsRulesOnPortRange() {
      assertThat(
              deathstar(
                  "egress: [{toPorts: [{ports: [{port: \"53\", endPort: 54, protocol: ANY}], rules:"
                      + " {dns: [{matchName: a.io}]}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toPorts[0].ports[0].endPort",
                  "DNS rules do not support port ranges"));
    }

    @Test
    void shouldRejectMultipleL7Kinds() {
      assertThat(
              deathstar(
                  "egress: [{toPorts: [{ports: [{port: \"53\", protocol: TCP}], rules: {http: [{}],"
                      + " dns: [{matchName: a.io}]}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toPorts[0].rules",
                  "multiple L7 protocol rule types specified in single rule"));
    }

    @Test
    void shouldRejectInvalidHttpRegex() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: {http:"
                      + " [{path: \"/v1/(\", method: GET}]}}]}]"))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.path()).isEqualTo("spec.ingress[0].toPorts[0].rules.http[0].path");
                assertThat(e.message()).startsWith("error parsing regexp: ").endsWith(": `/v1/(`");
              });
    }

    @Test
    void shouldRequireHeaderMatchName() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: {http:"
                      + " [{headerMatches: [{value: x}]}]}}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].name",
                  "Header name missing"));
    }

    @Test
    void shouldRequireSecretNameInHeaderMatch() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: {http:"
                      + " [{headerMatches: [{name: X-Token, secret: {namespace: a}}]}]}}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].secret.name",
                  "Secret name missing"));
    }

    @Test
    void shouldRejectGenericL7WithoutL7Proto() {
      assertThat(
              deathstar(
                  "egress: [{toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: {l7: [{cmd:"
                      + " READ}]}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toPorts[0].rules.l7",
                  "'l7' may only be specified when a 'l7proto' is also specified"));
    }

    @Test
    void shouldRejectHttpRulesInHostEgressPolicy() {
      assertThat(
              ccnp(
                  "nodeSelector: {}\n"
                      + "egress: [{toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: {http:"
                      + " [{}]}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toPorts[0].rules.http",
                  "L7 protocol HTTP is not supported on host egress yet"));
    }

    @Test
    void shouldRejectListenerWithL7Rules() {
      assertThat(
              deathstar(
                  "egress: [{toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: {http:"
                      + " [{}]}, listener: {name: l1}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toPorts[0].listener",
                  "Listener is not allowed with L7 rules (l1)"));
    }

    @Test
    void shouldRejectL7RulesInHostIngressPolicy() {
      assertThat(
              ccnp(
                  "nodeSelector: {}\n"
                      + "ingress: [{toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules:"
                      + " {http: [{}]}}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].rules",
                  "L7 policy is not supported on host ingress yet"));
    }

    @Test
    void shouldRejectListenerOnIngress() {
      assertThat(
              deathstar(
                  "ingress: [{toPorts: [{ports: [{port: \"80\", protocol: TCP}], listener: {name:"
                      + " l1, envoyConfig: {kind: CiliumEnvoyConfig, name: c}}}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].toPorts[0].listener",
                  "Listener is not allowed on ingress (l1)"));
    }

    @Test
    void shouldRejectServerNamesWithL7WithoutTlsTermination() {
      assertThat(
              deathstar(
                  "egress: [{toPorts: [{ports: [{port: \"443\", protocol: TCP}], serverNames:"
                      + " [a.io, \"\"], rules: {http: [{}]}}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].toPorts[0].serverNames",
                  "ServerNames are not allowed with L7 rules without TLS termination"),
              error(
                  "spec.egress[0].toPorts[0].serverNames[1]", "empty server name is not allowed"));
    }
  }

  @Nested
  class Icmp {

    @Test
    void shouldRejectIcmpsWithToPorts() {
      assertThat(
              deathstar(
                  "ingress: [{icmps: [{fields: [{type: 8}]}], toPorts: [{ports: [{port:"
                      + " \"80\"}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingress[0].icmps",
                  "the ICMPs block may only be present without ToPorts. Define a separate rule to"
                      + " use ToPorts"));
    }

    @Test
    void shouldRejectAnUnknownAuthenticationModeOrHeaderMismatchAction() {
      assertThat(
              deathstar(
                  """
                  ingress:
                  - authentication: {mode: mandatory}
                    toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [{headerMatches: [{name: x, mismatch: DROP}]}]}}]
                  """))
          .containsExactlyInAnyOrder(
              error(
                  "spec.ingress[0].authentication.mode",
                  "unsupported authentication mode \"mandatory\": must be one of disabled, required, test-always-fail"),
              error(
                  "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].mismatch",
                  "unsupported mismatch action \"DROP\": must be one of LOG, ADD, DELETE, REPLACE"));
    }

    @Test
    void shouldRejectAnUnknownIcmpFamily() {
      assertThat(deathstar("egress: [{icmps: [{fields: [{family: ipv4, type: 8}]}]}]"))
          .containsExactly(
              error(
                  "spec.egress[0].icmps[0].fields[0].family",
                  "unsupported ICMP family \"ipv4\": must be IPv4 or IPv6"));
    }

    @Test
    void shouldRejectIcmpTypeNameUnknownInItsFamily() {
      assertThat(
              deathstar(
                  "egress: [{icmps: [{fields: [{family: IPv6, type: Echo}, {type:"
                      + " PacketTooBig}]}]}]"))
          .containsExactly(
              error("spec.egress[0].icmps[0].fields[0].type", "ICMP type Echo not found in IPv6"),
              error(
                  "spec.egress[0].icmps[0].fields[1].type",
                  "ICMP type PacketTooBig not found in IPv4"));
    }

    @Test
    void shouldAcceptIcmpTypesByNumberAndName() {
      assertThat(
              deathstar(
                  """
                  egress:
                  - icmps:
                    - fields: [{type: 8}, {type: EchoRequest}, {family: IPv6, type: EchoRequest}, {family: IPv6, type: "128"}]
                  """))
          .isEmpty();
    }

    @Test
    void shouldRejectIcmpTypeOutOfRange() {
      assertThat(deathstar("ingressDeny: [{icmps: [{fields: [{type: 256}]}]}]"))
          .containsExactly(
              error(
                  "spec.ingressDeny[0].icmps[0].fields[0].type",
                  "ICMP type 256 out of range 0-255"));
    }

    @Test
    void shouldRequireIcmpType() {
      assertThat(deathstar("egress: [{icmps: [{fields: [{family: IPv4}]}]}]"))
          .containsExactly(
              error("spec.egress[0].icmps[0].fields[0].type", "ICMP type must be specified"));
    }

    @Test
    void shouldRejectTooManyIcmpTypes() {
      String fields = String.join(", ", java.util.Collections.nCopies(41, "{type: 0}"));
      assertThat(deathstar("egressDeny: [{icmps: [{fields: [" + fields + "]}]}]"))
          .containsExactly(
              error("spec.egressDeny[0].icmps[0].fields", "too many types, the max is 40"));
    }
  }

  @Test
  void shouldReportEveryErrorInsteadOfTheFirst() {
    assertThat(
            cnp(
                """
                nodeSelector: {}
                ingress:
                - fromEndpoints: [{matchExpressions: [{key: org, operator: NotIn}]}]
                  fromCIDR: [not-an-ip]
                  toPorts: [{ports: [{port: "99999"}, {port: ""}]}]
                egress:
                - toCIDRSet: [{cidr: 10.0.0.0/24, except: [10.0.1.0/25]}]
                  icmps: [{fields: [{type: Nope}]}]
                """))
        .containsExactly(
            error("spec.nodeSelector", "rule cannot have NodeSelector"),
            error(
                "spec.ingress[0].fromCIDR",
                "combining FromEndpoints and FromCIDR is not supported yet"),
            error(
                "spec.ingress[0].fromEndpoints[0].matchExpressions[0].values",
                "invalid label selector: Required value: must be specified when `operator` is 'In'"
                    + " or 'NotIn'"),
            error(
                "spec.ingress[0].fromCIDR[0]",
                "unable to parse CIDR: invalid CIDR \"not-an-ip\": unable to parse IP"),
            error(
                "spec.ingress[0].toPorts[0].ports[0].port",
                "unable to parse port: strconv.ParseUint: parsing \"99999\": value out of range"),
            error("spec.ingress[0].toPorts[0].ports[1].port", "port must be specified"),
            error(
                "spec.egress[0].toCIDRSet[0].except[0]",
                "allow CIDR prefix 10.0.0.0/24 does not contain exclude CIDR prefix 10.0.1.0/25"),
            error("spec.egress[0].icmps[0].fields[0].type", "ICMP type Nope not found in IPv4"));
  }

  @Test
  void shouldAcceptStarWarsPolicies() {
    String l3l4 =
        """
        description: "L3-L4 policy to restrict deathstar access to empire ships only"
        endpointSelector:
          matchLabels: {org: empire, class: deathstar}
        ingress:
        - fromEndpoints:
          - matchLabels: {org: empire}
          toPorts:
          - ports: [{port: "80", protocol: TCP}]
        """;
    String l7 =
        """
        description: "L7 policy to restrict access to specific HTTP call"
        endpointSelector:
          matchLabels: {org: empire, class: deathstar}
        ingress:
        - fromEndpoints:
          - matchLabels: {org: empire}
          toPorts:
          - ports: [{port: "80", protocol: TCP}]
            rules:
              http:
              - method: "POST"
                path: "/v1/request-landing"
        """;
    String deny =
        """
        endpointSelector:
          matchLabels: {org: empire, class: deathstar}
        ingressDeny:
        - fromEndpoints:
          - matchLabels: {class: xwing}
          toPorts:
          - ports: [{port: "80", protocol: TCP}]
        """;
    String defaultDeny = "endpointSelector: {matchLabels: {org: empire}}\ningress: [{}]";
    String dns =
        """
        endpointSelector: {}
        enableDefaultDeny: {ingress: false, egress: false}
        egress:
        - toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, k8s-app: kube-dns}}]
          toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]
        """;
    for (String yaml : List.of(l3l4, l7, deny, defaultDeny, dns)) {
      assertThat(cnp(yaml)).as(yaml).isEmpty();
    }
  }
}
