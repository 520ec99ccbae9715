package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.RepoRoot;
import io.hexgate.operator.policy.trace.ManifestLoader;
import io.hexgate.operator.policy.trace.OfflineCluster;
import io.hexgate.operator.policy.trace.PolicyTrace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cilium's Star Wars demo (reference §8) on the unchanged manifests in {@code examples/starwars/}: the
 * deathstar Deployment's pod template stands for its pods, under the name {@code deathstar}.
 */
class StarWarsVerdictTest {
  private static final Path EXAMPLES = RepoRoot.find().resolve("examples/starwars");

  private static PolicyTrace.Result trace(String policy, String src, String method, String path) {
    OfflineCluster cluster =
        new OfflineCluster(
            new ManifestLoader("default")
                .load(List.of(EXAMPLES.resolve("http-sw-app.yaml"), EXAMPLES.resolve(policy))));
    PolicyTrace t = new PolicyTrace(cluster);
    HttpRequest request = method == null ? null : new HttpRequest(method, path, null);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      return t.trace(
          t.peer(src, "default", "--src"), t.peer("default/deathstar", "default", "--dst"), Protocol.TCP, 80, request, out);
    }
  }

  @Test
  void shouldDenyXwingAndAllowTiefighterUnderL3L4Policy() {
    // §8.2: after sw_l3_l4_policy.yaml tiefighter lands, xwing's SYN is dropped (reason 133).
    assertThat(trace("sw_l3_l4_policy.yaml", "default/tiefighter", null, null).allowed()).isTrue();
    PolicyTrace.Result xwing = trace("sw_l3_l4_policy.yaml", "default/xwing", null, null);
    assertThat(xwing.allowed()).isFalse();
    assertThat(xwing.ingress())
        .isInstanceOfSatisfying(Verdict.Denied.class, d -> assertThat(d.reason()).isEqualTo(DropReason.POLICY_DENIED));
  }

  @Test
  void shouldLetTiefighterLandButNotExhaustThePortUnderL7Policy() {
    // §8.2: after sw_l3_l4_l7_policy.yaml POST /v1/request-landing is forwarded, PUT /v1/exhaust-port gets 403.
    assertThat(trace("sw_l3_l4_l7_policy.yaml", "default/tiefighter", "POST", "/v1/request-landing").allowed()).isTrue();
    PolicyTrace.Result exhaust = trace("sw_l3_l4_l7_policy.yaml", "default/tiefighter", "PUT", "/v1/exhaust-port");
    assertThat(exhaust.ingress()).isInstanceOf(Verdict.Redirected.class);
    assertThat(exhaust.l7Allowed()).isFalse();
    assertThat(exhaust.allowed()).isFalse();
  }

  @Test
  void shouldStillDenyXwingAtL4UnderL7Policy() {
    // §8.2 table: with the L7 policy, xwing's request-landing still hangs (dropped before the proxy).
    PolicyTrace.Result xwing = trace("sw_l3_l4_l7_policy.yaml", "default/xwing", "POST", "/v1/request-landing");
    assertThat(xwing.allowed()).isFalse();
    assertThat(xwing.ingress().passesL4()).isFalse();
  }
}
