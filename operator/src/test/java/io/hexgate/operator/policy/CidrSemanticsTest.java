package io.hexgate.operator.policy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fromCIDR / toCIDR / fromCIDRSet / toCIDRSet with except (reference §2.4). */
class CidrSemanticsTest {
  @TempDir Path tmp;

  private ClusterFixture cluster(String spec) {
    return ClusterFixture.in(tmp)
        .pod("default/web", "10.0.1.1", "app=web")
        .pod("default/client", "10.0.1.2", "app=client")
        .cnp("default", spec);
  }

  @Test
  void shouldAllowAddressesInsideFromCidrOnly() {
    // §2.4: fromCIDR is a list of prefixes; only addresses inside one match.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromCIDR: [8.8.8.0/24, 192.0.2.1/32]
            """)
        .assertAllowed("ip:8.8.8.0", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.8.255", "default/web", "80/tcp")
        .assertAllowed("ip:192.0.2.1", "default/web", "80/tcp")
        .assertDenied("ip:8.8.9.0", "default/web", "80/tcp")
        .assertDenied("ip:8.8.7.255", "default/web", "80/tcp")
        .assertDenied("ip:192.0.2.2", "default/web", "80/tcp");
  }

  @Test
  void shouldAllowAddressesInsideToCidrOnly() {
    // §2.4/§2.2: toCIDR on egress, same matching.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            egress:
            - toCIDR: [1.1.1.0/24]
            """)
        .assertAllowed("default/web", "ip:1.1.1.1", "443/tcp")
        .assertDenied("default/web", "ip:1.1.2.1", "443/tcp");
  }

  @Test
  void shouldDenyAddressesInExceptUnlikeNaiveCidrSetThatIgnoresExcept() {
    // §2.4: except removes subnets from its cidr; a naive implementation ignoring except allows 8.8.8.8.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromCIDRSet:
              - cidr: 8.8.0.0/16
                except: [8.8.8.0/24]
            """)
        .assertDenied("ip:8.8.8.8", "default/web", "80/tcp")
        .assertDenied("ip:8.8.8.0", "default/web", "80/tcp")
        .assertDenied("ip:8.8.8.255", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.7.255", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.9.0", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.4.4", "default/web", "80/tcp")
        .assertDenied("ip:8.9.0.1", "default/web", "80/tcp");
  }

  @Test
  void shouldApplyExceptOnToCidrSet() {
    // §2.4: the same on egress; a single-address except (/32) leaves its neighbours allowed.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            egress:
            - toCIDRSet:
              - cidr: 0.0.0.0/0
                except: [169.254.169.254/32]
            """)
        .assertDenied("default/web", "ip:169.254.169.254", "80/tcp")
        .assertAllowed("default/web", "ip:169.254.169.253", "80/tcp")
        .assertAllowed("default/web", "ip:169.254.169.255", "80/tcp")
        .assertAllowed("default/web", "ip:1.1.1.1", "80/tcp");
  }

  @Test
  void shouldUnionOverlappingCidrSetsUnlikeNaiveGlobalExcept() {
    // §2.4: except applies only to its own cidr and sets are ORed; a naive global except denies 10.1.2.3.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromCIDRSet:
              - cidr: 192.168.0.0/16
                except: [192.168.1.0/24]
              - cidr: 192.168.1.0/25
            """)
        .assertAllowed("ip:192.168.1.5", "default/web", "80/tcp")
        .assertDenied("ip:192.168.1.200", "default/web", "80/tcp")
        .assertAllowed("ip:192.168.2.1", "default/web", "80/tcp");
  }

  @Test
  void shouldUnionCidrSetExceptWithAnotherElementAllowingTheExcept() {
    // §2.2/§2.4: separate elements are ORed, so another element's fromCIDR covers the except.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromCIDRSet:
              - cidr: 8.8.0.0/16
                except: [8.8.8.0/24]
            - fromCIDR: [8.8.8.8/32]
            """)
        .assertAllowed("ip:8.8.8.8", "default/web", "80/tcp")
        .assertDenied("ip:8.8.8.9", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.1.1", "default/web", "80/tcp");
  }

  @Test
  void shouldTreatToCidrLikeToCidrSetWithoutExcept() {
    // §2.4: a prefix in toCIDR equals the same prefix in toCIDRSet without except; overlaps allowed.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            egress:
            - toCIDR: [1.1.0.0/16]
              toPorts: [{ports: [{port: "443", protocol: TCP}]}]
            - toCIDRSet: [{cidr: 1.1.1.0/24}]
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """)
        .assertAllowed("default/web", "ip:1.1.1.1", "443/tcp", "80/tcp")
        .assertAllowed("default/web", "ip:1.1.2.1", "443/tcp")
        .assertDenied("default/web", "ip:1.1.2.1", "80/tcp");
  }

  @Test
  void shouldNeverMatchPodAddressesWithCidrRules() {
    // §2.4: CIDR selectors never match cluster-managed endpoints, even when the prefix holds pod IPs.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromCIDR: [10.0.0.0/8]
            egress:
            - toCIDRSet: [{cidr: 0.0.0.0/0}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertDenied("ip:10.0.1.2", "default/web", "80/tcp")
        .assertAllowed("ip:10.9.9.9", "default/web", "80/tcp")
        .assertDenied("default/web", "default/client", "80/tcp")
        .assertAllowed("default/web", "ip:8.8.8.8", "80/tcp");
  }
}
