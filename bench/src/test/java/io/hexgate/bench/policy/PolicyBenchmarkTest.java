package io.hexgate.bench.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.RuleValidator;
import io.hexgate.operator.policy.api.Rule;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The benchmark at a tiny size: sane counts and results, no timing assertions. */
class PolicyBenchmarkTest {
  private static final PolicyBenchmark.Config TINY = new PolicyBenchmark.Config(200, 40, 20, 50, 1, 3, 50, 5, 7);

  @Test
  void tinyRunGivesSaneResult() {
    PolicyBenchmark.Result r = new PolicyBenchmark(TINY).run();

    assertThat(r.workload()).containsEntry("pods", 200).containsEntry("labelSets", 40).containsEntry("policies", 20);
    assertThat(r.engine().podIdentities()).isEqualTo(40);
    assertThat(r.engine().identityPolicies()).isEqualTo(40);
    assertThat(r.engine().rules()).isGreaterThanOrEqualTo(20);
    assertThat(r.engine().policyEntries()).isPositive();
    assertThat(r.engine().regenerations()).isEqualTo(40); // one batch computes each identity once

    assertThat(r.coldMs()).isNotNegative();
    assertThat(r.warmMs()).hasSize(3);
    assertThat(java.util.Arrays.stream(r.warmMs()).min().getAsDouble()).isNotNegative();
    assertThat(r.warmMinMs()).isLessThanOrEqualTo(r.warmMedianMs());

    for (PolicyBenchmark.OpStats s : List.of(r.policyChange(), r.podExistingLabels(), r.podNewLabels())) {
      assertThat(s.count()).as(s.name()).isEqualTo(50);
      assertThat(s.medianMs()).as(s.name()).isNotNegative();
      assertThat(s.p99Ms()).as(s.name()).isGreaterThanOrEqualTo(s.medianMs());
      assertThat(s.maxMs()).as(s.name()).isGreaterThanOrEqualTo(s.p99Ms());
    }
    assertThat(r.policyChangeByKind().stream().mapToInt(PolicyBenchmark.OpStats::count).sum()).isEqualTo(50);
    // A policy change recomputes the identities it selects, or updates them in place.
    assertThat(r.policyChange().regenerationsMean() + r.policyChange().inPlaceMean()).isPositive();
    // A pod joining an existing identity recomputes nothing; a new identity is computed once.
    assertThat(r.podExistingLabels().regenerationsMax()).isZero();
    assertThat(r.podNewLabels().regenerationsMean()).isGreaterThanOrEqualTo(1);

    assertThat(Double.isFinite(r.heapMb())).isTrue();
    assertThat(r.report()).contains("Full computation", "Incremental", "Retained heap", "Targets", "policy change p99");
  }

  @Test
  void workloadIsReproducibleAndValid() {
    SyntheticCluster a = new SyntheticCluster(200, 40, 20, 50, 7);
    SyntheticCluster b = new SyntheticCluster(200, 40, 20, 50, 7);
    assertThat(a.pods()).isEqualTo(b.pods());
    assertThat(a.policies().stream().map(SyntheticCluster.Policy::ref).toList())
        .isEqualTo(b.policies().stream().map(SyntheticCluster.Policy::ref).toList());
    assertThat(a.pods()).hasSize(200);
    assertThat(a.pods().stream().map(p -> p.labels()).distinct()).hasSize(40);
    assertThat(a.policies()).hasSize(20);

    SyntheticCluster big = new SyntheticCluster(2_000, 400, 300, 50, 42);
    for (SyntheticCluster.Policy p : big.policies()) {
      boolean clusterwide = p.ref().kind().equals(PolicyRef.CCNP);
      for (Rule rule : p.rules()) {
        assertThat(RuleValidator.validateRule(rule, "spec", clusterwide)).as(p.ref().toString()).isEmpty();
      }
    }
    assertThat(big.features()).containsKeys("CNP", "KNP", "CCNP", "CNP with L7 HTTP rules", "CNP with toCIDRSet + except");
    PolicyEngine e = PolicyBenchmark.build(big);
    assertThat(e.notEnforced()).isEmpty();
    assertThat(e.policyRefs()).hasSize(300);
  }

  @Test
  void mutationChangesOnePolicy() throws Exception {
    SyntheticCluster c = new SyntheticCluster(200, 40, 20, 50, 7);
    ObjectMapper m = new ObjectMapper();
    Random rng = new Random(1);
    int changed = 0;
    for (SyntheticCluster.Policy p : c.policies()) {
      for (boolean portFirst : new boolean[] {true, false}) {
        List<Rule> next = PolicyBenchmark.mutate(p.rules(), p.ref(), c, rng, portFirst);
        if (next != null) {
          changed++;
          assertThat(m.writeValueAsString(next)).isNotEqualTo(m.writeValueAsString(p.rules()));
        }
      }
    }
    assertThat(changed).isGreaterThan(c.policies().size());
  }
}
