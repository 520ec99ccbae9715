package io.hexgate.operator.policy;

import static io.hexgate.operator.policy.ClusterFixture.request;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** L7 HTTP rules (reference §2.7 PortRuleHTTP, §3.7). Every request here passes L3/L4. */
class L7SemanticsTest {
  @TempDir Path tmp;

  private ClusterFixture cluster(String http) {
    return ClusterFixture.in(tmp)
        .pod("default/api", "10.0.1.1", "app=api")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("default/admin", "10.0.1.3", "app=admin")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules:
                  http:
            """ + http.stripIndent().indent(6));
  }

  @Test
  void shouldMatchPathAsWholeValueUnlikeNaivePrefixMatch() {
    // §3.7: path is a regex that must match the whole path; a naive prefix match allows /v1/ships.
    cluster("""
            - path: /v1/
            - path: /v2/.*
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/v1/"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/v1/ships"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/x/v1/"))
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/v2/ships/1"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/v3/ships"));
  }

  @Test
  void shouldMatchMethodAsWholeRegex() {
    // §3.7: method is a regex over the whole method: "GET|HEAD" admits both, "P" admits neither PUT nor POST.
    cluster("""
            - method: GET|HEAD
            - method: P
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/"))
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("HEAD", "/"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("POST", "/"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("PUT", "/"));
  }

  @Test
  void shouldRequireAllFieldsOfOneRuleAndAnyOfSeveralRules() {
    // §3.7: a request is allowed if any listed rule matches; within a rule all fields must match.
    cluster("""
            - {method: GET, path: /ships}
            - {method: POST, path: /landing}
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/ships"))
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("POST", "/landing"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/landing"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("POST", "/ships"));
  }

  @Test
  void shouldRequireHeaderPresenceWithNameOnly() {
    // §2.7: headers "Name" = the header must be present, any value.
    cluster("""
            - headers: [X-Token]
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/", "X-Token: anything"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/", "X-Other: x"));
  }

  @Test
  void shouldRequireExactHeaderValueWithNameAndValue() {
    // §2.7: headers "Name: value" = exact value (not a prefix, not a regex).
    cluster("""
            - headers: ["X-Token: abc"]
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/", "X-Token: abc"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/", "X-Token: abcd"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/", "X-Token: ab"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/"));
  }

  @Test
  void shouldCompareHeaderNamesCaseInsensitively() {
    // §2.7/HTTP: header names are case-insensitive, so x-token satisfies "X-Token: abc".
    cluster("""
            - headers: ["X-Token: abc"]
            - headerMatches: [{name: x-env, value: prod}]
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/", "x-token: abc"))
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/", "X-ENV: prod"));
  }

  @Test
  void shouldRequireHeaderMatchesValueAndPresence() {
    // §2.7: headerMatches without mismatch: the request fails if the header is missing or different.
    cluster("""
            - headerMatches: [{name: X-Env, value: prod}]
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/", "X-Env: prod"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/", "X-Env: dev"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/"));
  }

  @Test
  void shouldNeverRefuseOverAHeaderMatchWithAMismatchAction() {
    // §2.7: with a mismatch action the proxy logs, adds, deletes or replaces the header instead of refusing.
    cluster("""
            - headerMatches: [{name: X-Env, value: prod, mismatch: REPLACE}, {name: X-Id, mismatch: LOG}]
              path: /v1/.*
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/v1/a", "X-Env: dev"))
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/v1/a"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/v2/a"));
  }

  @Test
  void shouldMatchHostAsWholeRegex() {
    // §2.7: host is a regex on the Host header; like path it must match the whole value.
    cluster("""
            - host: "api\\\\.example\\\\.com"
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/", "Host: api.example.com"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/", "Host: api.example.com.evil"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/", "Host: apixexample.com"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/"));
  }

  @Test
  void shouldAllowEveryRequestWithEmptyHttpRule() {
    // §2.7: an empty http element = allow all.
    cluster("""
            - {}
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("DELETE", "/anything"));
  }

  @Test
  void shouldLetL4OnlyRuleForTheSamePeerShadowL7Rules() {
    // §3.7: L4-only rule + L7 rule for the same peer and port: L7 becomes allow-all for that peer.
    ClusterFixture.in(tmp)
        .pod("default/api", "10.0.1.1", "app=api")
        .pod("default/client", "10.0.1.2", "app=client")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules: {http: [{method: GET, path: /public}]}
            """)
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("DELETE", "/private"))
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/public"));
  }

  @Test
  @DisplayName("CVE-2023-30851: one peer's L4-only allow does not widen another peer's L7 rules")
  void shouldKeepL7RulesPerPeerSelector() {
    // §3.7 (Cilium PerSelectorPolicies): one peer's L7 rules do not restrict another peer's L4-only allow.
    ClusterFixture.in(tmp)
        .pod("default/api", "10.0.1.1", "app=api")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("default/admin", "10.0.1.3", "app=admin")
        .pod("default/batch", "10.0.1.4", "app=batch")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules: {http: [{method: GET, path: "/api/.*"}]}
            - fromEndpoints: [{matchLabels: {app: admin}}]
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/api/items"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("DELETE", "/api/items"))
        .assertHttpAllowed("default/admin", "default/api", "80/tcp", request("DELETE", "/api/items"))
        .assertHttpAllowed("default/admin", "default/api", "80/tcp", request("POST", "/anything"))
        .assertDenied("default/batch", "default/api", "80/tcp")
        .assertDenied("default/client", "default/api", "8080/tcp");
  }

  @Test
  void shouldUnionL7RulesOfTwoPoliciesForTheSamePeer() {
    // §3.7: two rules with the same L7 kind for the same peer and port: union of their rules.
    ClusterFixture.in(tmp)
        .pod("default/api", "10.0.1.1", "app=api")
        .pod("default/client", "10.0.1.2", "app=client")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules: {http: [{method: GET}]}
            """)
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules: {http: [{method: POST, path: /landing}]}
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/x"))
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("POST", "/landing"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("POST", "/x"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("PUT", "/landing"));
  }

  @Test
  void shouldAllowEveryRequestWhenDefaultDenyIsDisabledOnAnL7Rule() {
    // §1.3 caveat: with enableDefaultDeny false a wildcard L7 rule is added, so no request is denied.
    ClusterFixture.in(tmp)
        .pod("default/api", "10.0.1.1", "app=api")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("default/other", "10.0.1.3", "app=other")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            enableDefaultDeny: {ingress: false}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules: {http: [{method: GET, path: /public}]}
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/public"))
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("DELETE", "/private"))
        .assertHttpAllowed("default/other", "default/api", "80/tcp", request("DELETE", "/private"))
        .assertAllowed("default/other", "default/api", "81/tcp");
  }

  @Test
  void shouldApplyL7RulesOnEgress() {
    // §3.7: egress allow rules with HTTP rules redirect the client's requests to the proxy too.
    ClusterFixture.in(tmp)
        .pod("default/api", "10.0.1.1", "app=api")
        .pod("default/client", "10.0.1.2", "app=client")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: client}}
            egress:
            - toEndpoints: [{matchLabels: {app: api}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules: {http: [{method: GET}]}
            """)
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("POST", "/"))
        .assertDenied("default/client", "default/api", "81/tcp");
  }
}
